// What random, stake-weighted selection buys against colluding identities (issue #13): for an
// adversary holding a share f of the pool's weight, per setting (replicas k, quorum m), the chance a
// wrong result is accepted, the chance the job fails, the replicas run per job and the adversary's
// expected profit per job. Run with `npm run bench:trust`; writes bench/results/trust.json.
//
// The model is the contract's own rules, nothing assumed:
// - the pool: 16 entries (Limits.MAX_POOL), 12 honest providers at the weight cap (64 collaterals) and
//   the adversary's 4 identities with weights that make their share f (a full pool admits only heavier
//   entries, so lighter identities cannot crowd the honest out);
// - the draw: client/src/chain/draw.ts, which test/contracts/selection.test.ts checks against the
//   contract draw for draw. Probabilities are exact (a recursion over the weighted picks without
//   replacement), and a Monte Carlo of the same draw from random seeds checks them;
// - settlement (docs/PROTOCOL.md, "Job state machine" and "Escalation"): the adversary's replicas all
//   reveal one wrong digest, the honest ones the right one; a digest with >= m reveals and more reveals
//   than all others together is the consensus, the others are slashed their collateral. Without one,
//   a job whose cap (maxReplicas) allows more escalates: the identities not yet in it fill a new pool
//   and min(k, cap - replicas so far) more are drawn from it, until a consensus stands or the cap is
//   reached (NoConsensus, slashing nobody who revealed). Each replica bids maxPrice P; collateral is P
//   (ratio 100 %). Profit is in units of P: pay for agreeing, minus collateral slashed. The adversary
//   does not run the job (it saves the compute, ~0 here).
// - the column "binomial (SDK)" is the model by which the SDK's `confidence` option picks replicas and
//   quorum (client/src/trust, whose settlement rule `settle` below uses too): each replica the
//   adversary's independently with probability f, the pool's real share;
// - a sample on the in-process Hardhat chain plays the same jobs with real bids, draws, reveals and
//   settlement and must end exactly as the model says (states, paid and slashed per side).
//
// Escalation (issue #13 item 4) is what makes lying cost: without it (cap = k, the default) a
// unanimous job with any dissent ends NoConsensus and nobody is slashed, so an adversary that holds
// every replica now and then profits and never pays for the jobs it breaks (the *_no_escalation
// setting shows it); with it the dissent escalates, the honest majority settles and the adversary's
// replicas are slashed.
import { mkdirSync, writeFileSync } from "node:fs";
import { getAddress, keccak256, pad, toHex, type Address, type Hex } from "viem";
import { drawIndices, drawSeed } from "../../client/src/chain/draw.ts";
import { oddsOf, replicaOdds } from "../../client/src/trust/index.ts";
import { commitmentOf, deployMarket } from "../../test/contracts/market.ts";

const HONEST = 12;
const ADVERSARY = 4;
const CAP = 64_000n; // Limits.WEIGHT_CAP collaterals, in thousandths
const SHARES = [0.01, 0.05, 0.1, 0.2, 0.33];
/** `cap` is the job's maxReplicas: k means no escalation (the contract's default). */
const SETTINGS = [
  { name: "k3_m2", k: 3, m: 2, cap: 3 },
  { name: "k4_m3", k: 4, m: 3, cap: 4 },
  { name: "k4_unanimous", k: 4, m: 4, cap: 8 },
  { name: "k4_unanimous_no_escalation", k: 4, m: 4, cap: 4 },
  { name: "k5_m3", k: 5, m: 3, cap: 5 },
];
const MC_DRAWS = Number(process.env.BENCH_TRUST_DRAWS ?? 20_000);
const CHAIN_JOBS = Number(process.env.BENCH_TRUST_CHAIN_JOBS ?? 12);

/** Each adversary identity's weight, in thousandths of a collateral, for a total share f. */
function adversaryWeight(f: number): bigint {
  return BigInt(Math.max(1_000, Math.round((f * HONEST * Number(CAP)) / (ADVERSARY * (1 - f)))));
}

/** P(the adversary holds a of the k drawn replicas), exactly, for a = 0..k. */
function heldDistribution(k: number, wa: number, wh: number): number[] {
  return drawDistribution(k, ADVERSARY, HONEST, wa, wh);
}

/** P(b of `k` picks are the adversary's), b = 0..k, from a pool of `adv` adversary and `honest` honest entries. */
function drawDistribution(k: number, adv: number, honest: number, wa: number, wh: number): number[] {
  const out = Array<number>(k + 1).fill(0);
  if (adv + honest <= k) {
    out[adv] = 1; // a pool no larger than the round is awarded whole
    return out;
  }
  const go = (picks: number, advLeft: number, honestLeft: number, p: number) => {
    if (picks === k) return void (out[adv - advLeft]! += p);
    const total = advLeft * wa + honestLeft * wh;
    if (advLeft > 0) go(picks + 1, advLeft - 1, honestLeft, (p * advLeft * wa) / total);
    if (honestLeft > 0) go(picks + 1, advLeft, honestLeft - 1, (p * honestLeft * wh) / total);
  };
  go(0, adv, honest, 1);
  return out;
}

/**
 * The contract's consensus over every round's reveals (JobSettlement._consensus): a digest with at
 * least m votes and more than all other reveals together; undefined when neither has one.
 */
function consensusOf(m: number, wrong: number, right: number): "wrong" | "right" | undefined {
  if (wrong >= m && wrong > right) return "wrong";
  if (right >= m && right > wrong) return "right";
  return undefined;
}

type Outcome = { state: "Succeeded" | "NoConsensus"; wrong: boolean; adversaryProfit: number; honestSlashed: number };

/** How a job ends once the adversary revealed `wrong` and the honest `right` digests over all its rounds. */
function settleRounds(m: number, wrong: number, right: number, atCap: boolean): (Outcome & { replicas: number }) | undefined {
  const c = consensusOf(m, wrong, right);
  const replicas = wrong + right;
  if (c === "wrong") return { state: "Succeeded", wrong: true, adversaryProfit: wrong, honestSlashed: right, replicas };
  if (c === "right") return { state: "Succeeded", wrong: false, adversaryProfit: -wrong, honestSlashed: 0, replicas };
  return atCap ? { state: "NoConsensus", wrong: false, adversaryProfit: 0, honestSlashed: 0, replicas } : undefined;
}

/**
 * Exact odds with escalation: each round draws min(k, cap - replicas so far) of the identities not yet
 * in the job; a round without a consensus (and below the cap) opens the next. With cap = k this is
 * the library's one-round rule (checked below against oddsOf).
 */
function model(k: number, m: number, cap: number, f: number) {
  const wa = Number(adversaryWeight(f));
  const wh = Number(CAP);
  let pWrong = 0;
  let pFail = 0;
  let profit = 0;
  let replicas = 0;
  const round = (advLeft: number, honestLeft: number, wrong: number, right: number, p: number) => {
    const n = wrong + right;
    const extra = Math.min(k, cap - n, advLeft + honestLeft);
    drawDistribution(extra, advLeft, honestLeft, wa, wh).forEach((q, b) => {
      if (q === 0) return;
      const w = wrong + b;
      const r = right + extra - b;
      // A round that finds no fresh provider (every identity is in the job) ends it as the cap does.
      const end = settleRounds(m, w, r, w + r >= cap || advLeft + honestLeft === extra);
      if (!end) return round(advLeft - b, honestLeft - (extra - b), w, r, p * q);
      if (end.wrong) pWrong += p * q;
      if (end.state === "NoConsensus") pFail += p * q;
      profit += p * q * end.adversaryProfit;
      replicas += p * q * end.replicas;
    });
  };
  round(ADVERSARY, HONEST, 0, 0, 1);
  if (cap === k) {
    const one = oddsOf(k, m, heldDistribution(k, wa, wh));
    if (Math.abs(one.pWrong - pWrong) > 1e-12 || Math.abs(one.pNoConsensus - pFail) > 1e-12) throw new Error(`the round model and the library disagree for k ${k}, m ${m}, f ${f}`);
  }
  return { pWrong, pFail, profit, replicas, realShare: (ADVERSARY * wa) / (ADVERSARY * wa + HONEST * wh) };
}

/** The same probabilities from the contract's draw with random seeds, round after round. */
function monteCarlo(k: number, m: number, cap: number, f: number) {
  let wrong = 0;
  let fail = 0;
  for (let n = 0; n < MC_DRAWS; n++) {
    // Entry i < ADVERSARY is the adversary's; each round draws from those not yet in the job.
    let left = Array.from({ length: ADVERSARY + HONEST }, (_, i) => i);
    let w = 0;
    let r = 0;
    for (let round = 0; ; round++) {
      const extra = Math.min(k, cap - w - r, left.length);
      const seed = keccak256(toHex(`trust ${k} ${m} ${cap} ${f} ${n} ${round}`));
      const weights = left.map((i) => (i < ADVERSARY ? adversaryWeight(f) : CAP));
      const picked = new Set(drawIndices(seed, weights, extra).slice(0, extra).map((j) => left[j]!));
      for (const i of picked) i < ADVERSARY ? w++ : r++;
      left = left.filter((i) => !picked.has(i));
      const end = settleRounds(m, w, r, w + r >= cap || left.length === 0);
      if (!end) continue;
      if (end.wrong) wrong++;
      if (end.state === "NoConsensus") fail++;
      break;
    }
  }
  return { pWrong: wrong / MC_DRAWS, pFail: fail / MC_DRAWS };
}

/**
 * Plays jobs on Hardhat's in-process chain, escalation rounds included, and checks each ends as the
 * model says for its draws (every draw predicted by client/src/chain/draw.ts).
 */
async function chainSample(k: number, m: number, cap: number, f: number): Promise<{ jobs: number; agreed: number; replicasPerJob: number }> {
  const m_ = await deployMarket({ decimals: 18, feeBps: 0, poolWindow: 30, seedDelay: 0, minStake: 1n });
  const unit = m_.unit;
  const P = 10n * unit; // the default max price; collateral at 100 %
  const wa = adversaryWeight(f);
  // Stake in token units such that weight = stake * 1000 / collateral (capped).
  const stakes = [...Array(ADVERSARY).fill((wa * P) / 1_000n), ...Array(HONEST).fill(100n * P)] as bigint[];
  const who: Address[] = [];
  for (let i = 0; i < stakes.length; i++) {
    const address = getAddress(pad(toHex(0x7a57_0000 + i), { size: 20 }));
    await m_.networkHelpers.impersonateAccount(address);
    await m_.networkHelpers.setBalance(address, 10n ** 20n);
    await m_.fund(address, stakes[i]!);
    await m_.token.write.approve([m_.market.address, stakes[i]!], { account: address });
    await m_.market.write.registerProvider([toHex(`peer-${i}`), [], 1n], { account: address });
    await m_.market.write.stake([stakes[i]!], { account: address });
    who.push(address);
  }
  const digest = (wrong: boolean) => (wrong ? keccak256(toHex("wrong")) : keccak256(toHex("right")));
  const cid = (d: Hex) => `0x01551220${d.slice(2)}` as Hex;
  const events = async (hash: Hex) => {
    const { blockHash } = await m_.publicClient.waitForTransactionReceipt({ hash });
    return (await m_.publicClient.getContractEvents({ address: m_.market.address, abi: m_.market.abi, blockHash })).filter((e) => e.transactionHash === hash);
  };
  let agreed = 0;
  let replicas = 0;
  for (let j = 0; j < CHAIN_JOBS; j++) {
    const jobId = await m_.post({ replicas: k, quorum: m, maxReplicas: cap });
    const salt = (i: number) => keccak256(toHex(`salt ${j} ${i}`));
    // f = 0: the adversary stays out, every bid is honest.
    const inJob = new Set<number>(f === 0 ? Array.from({ length: ADVERSARY }, (_, i) => i) : []);
    let settled: { state: number; paid: bigint; slashed: bigint } | undefined;
    let predictedAll = true;
    let drawnAll: Address[] = [];
    for (let round = 0; !settled; round++) {
      const start = drawnAll.length;
      for (let i = 0; i < who.length; i++) {
        if (inJob.has(i)) continue;
        await m_.market.write.bidAndCommit([jobId, P, commitmentOf(jobId, who[i]!, digest(i < ADVERSARY), salt(i))], { account: who[i]! });
      }
      const pool = (await m_.market.read.getReplicas([jobId])).slice(start);
      await m_.networkHelpers.time.increaseTo((await m_.market.read.getJob([jobId])).deadline - 1n);
      await m_.networkHelpers.setPrevRandao(BigInt(keccak256(toHex(`chain ${k} ${m} ${f} ${j} ${round}`))));
      const receipt = await m_.publicClient.waitForTransactionReceipt({ hash: await m_.market.write.award([jobId]) });
      const block = await m_.publicClient.getBlock({ blockNumber: receipt.blockNumber });
      const extra = Math.min(k, cap - start);
      const predicted = drawIndices(drawSeed(block.mixHash, block.parentHash, jobId, pool), pool.map((e) => e.weight), extra).slice(0, extra).map((i) => pool[i]!.provider);
      const drawn = (await m_.market.read.getReplicas([jobId])).map((r) => r.provider).slice(start);
      if (predicted.join() !== drawn.join()) predictedAll = false;
      for (const p of drawn) inJob.add(who.indexOf(p));
      drawnAll = [...drawnAll, ...drawn];
      for (const p of drawn) {
        const i = who.indexOf(p);
        const evs = await events(await m_.market.write.reveal([jobId, cid(digest(i < ADVERSARY)), salt(i), cid(digest(false))], { account: p }));
        const s = evs.find((e) => e.eventName === "JobSettled");
        if (s) settled = s.args as never;
      }
    }
    replicas += drawnAll.length;
    const w = drawnAll.filter((p) => who.indexOf(p) < ADVERSARY).length;
    const expected = settleRounds(m, w, drawnAll.length - w, true)!;
    const state = ["", "", "", "", "Succeeded", "NoConsensus"][settled!.state];
    const slashed = BigInt(expected.state === "Succeeded" ? (expected.wrong ? drawnAll.length - w : w) : 0) * P;
    const paid = BigInt(expected.state === "Succeeded" ? (expected.wrong ? w : drawnAll.length - w) : 0) * P;
    if (predictedAll && state === expected.state && settled!.slashed === slashed && settled!.paid === paid) agreed++;
    else console.warn(`chain job ${j} (k ${k}, m ${m}, cap ${cap}, f ${f}): draws predicted ${predictedAll}; ${state} vs ${expected.state}; paid ${settled?.paid} slashed ${settled?.slashed} vs ${paid} / ${slashed}`);
  }
  await m_.conn.close?.();
  return { jobs: CHAIN_JOBS, agreed, replicasPerJob: replicas / CHAIN_JOBS };
}

const rows: Record<string, unknown>[] = [];
const results: Record<string, unknown> = {};
for (const s of SETTINGS) {
  for (const f of SHARES) {
    const exact = model(s.k, s.m, s.cap, f);
    const mc = monteCarlo(s.k, s.m, s.cap, f);
    const key = `f${Math.round(f * 100)}_${s.name}`;
    results[`p_wrong_${key}`] = exact.pWrong;
    results[`p_fail_${key}`] = exact.pFail;
    results[`adversary_profit_${key}`] = exact.profit;
    results[`mc_p_wrong_${key}`] = mc.pWrong;
    results[`mc_p_fail_${key}`] = mc.pFail;
    results[`replicas_per_job_${key}`] = exact.replicas;
    rows.push({
      setting: `k=${s.k} m=${s.m} cap=${s.cap}`,
      f: `${(exact.realShare * 100).toFixed(1)} %`,
      "P(wrong accepted)": exact.pWrong.toExponential(2),
      "MC": mc.pWrong.toExponential(2),
      "P(job fails)": exact.pFail.toFixed(4),
      "MC ": mc.pFail.toFixed(4),
      "binomial (SDK)": replicaOdds(s.k, s.m, exact.realShare).pWrong.toExponential(2),
      "replicas/job": exact.replicas.toFixed(3),
      "adversary profit/job (x maxPrice)": exact.profit.toFixed(4),
    });
  }
}

console.table(rows);
const sample = [];
for (const [s, f] of [[SETTINGS[0]!, 0.33], [SETTINGS[2]!, 0.33], [SETTINGS[2]!, 0]] as const) {
  const r = await chainSample(s.k, s.m, s.cap, f);
  sample.push({ setting: `k=${s.k} m=${s.m} cap=${s.cap}`, f, ...r });
}
// Replicas that ran per k = 4 job with no liar, as the chain awarded them (escalation adds replicas
// only on a dissent). Every pool entry also ran a light job before the draw (bidAndCommit).
results.replicas_per_job_honest_k4 = sample[2]!.replicasPerJob;
console.table(sample);
results.chain_sample_jobs = sample.reduce((a, r) => a + r.jobs, 0);
results.chain_sample_agreed = sample.reduce((a, r) => a + r.agreed, 0);
results.escalation = "built: k4_unanimous may escalate to 8 replicas; *_no_escalation and the other settings keep the default cap = k";

const t = (key: string, op: "<=" | "<", v: number) => {
  const x = results[key] as number;
  return `${key} = ${x} (target ${op} ${v}: ${(op === "<=" ? x <= v : x < v) ? "met" : "not met"})`;
};
console.log(`\n${t("p_wrong_f10_k4_unanimous", "<=", 1e-4)}\n${t("replicas_per_job_honest_k4", "<=", 4.4)}\n${t("adversary_profit_f33_k4_unanimous", "<", 0)}\nchain sample: ${results.chain_sample_agreed} of ${results.chain_sample_jobs} jobs ended exactly as the model says`);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/trust.json", JSON.stringify(results, null, 2) + "\n");
console.log("wrote bench/results/trust.json");
process.exit(results.chain_sample_agreed === results.chain_sample_jobs ? 0 : 1);

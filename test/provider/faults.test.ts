// The provider daemon's --fault modes other than wrong-result (quorum.test.ts), on one real chain
// with every daemon a child process. Two honest daemons bid on everything; each faulty daemon
// bids only for its own requester (--allow-requesters), so every 2-of-3 job has exactly three
// bidders: both honest daemons and one faulty one, all awarded on fill. The three jobs run at once:
//  - never-reveal: commits, never reveals          → MissedReveal, slashed; job Succeeded
//  - copy-commit: commits another winner's hash    → can never reveal it: MissedReveal, slashed
//  - silent-after-award: wins, never commits       → MissedCommit, slashed; job Succeeded
// Windows are chosen so one jump of the chain clock passes the never-reveal and copy-commit jobs'
// reveal deadlines (the honest daemons then finalize them) and the silent job's commit deadline
// but not its reveal deadline (the honest daemons then reveal and their last reveal settles it).
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWalletClient, decodeFunctionData, http, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { jobMarketAbi, testTokenAbi } from "../../client/src/generated/abi.ts";
import { getMarketEvents, readJob, readProvider, type MarketEvent } from "../../client/src/chain/index.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { PROVIDER_KEYS, Requester, registerProvider, spawnProvider, startTestChain, type ProviderProcess, type TestChain } from "./harness.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

const AGREED = 0;
const MISSED_COMMIT = 2;
const MISSED_REVEAL = 3;
const MAX_PRICE = 10_000n;
/** Chain seconds the test jumps once every job is where the faults leave it. */
const JUMP_S = 310;

type Fault = "never-reveal" | "copy-commit" | "silent-after-award";
type Role = { key: { address: Address; privateKey: Hex }; price: bigint; fault?: Fault };
// Bids are --min-price (every computed price for the small echo job is below them), so each is known.
const HONEST: Role[] = [
  { key: PROVIDER_KEYS[0]!, price: 300n },
  { key: PROVIDER_KEYS[1]!, price: 400n },
];
const SCENARIOS = [
  // Everyone commits, so the reveal phase opens at the last commit; the reveal deadline is the one passed.
  { fault: "never-reveal", key: PROVIDER_KEYS[2]!, price: 500n, requesterKey: DEV_ACCOUNTS[DEV_ROLES.requesters[0]]!, outcome: MISSED_REVEAL, commitWindow: 3_600, revealWindow: 300 },
  { fault: "copy-commit", key: PROVIDER_KEYS[3]!, price: 600n, requesterKey: DEV_ACCOUNTS[DEV_ROLES.requesters[1]]!, outcome: MISSED_REVEAL, commitWindow: 3_600, revealWindow: 300 },
  // Two of three commit: the commit deadline is the one passed, the reveal deadline stays far.
  { fault: "silent-after-award", key: PROVIDER_KEYS[4]!, price: 700n, requesterKey: DEV_ACCOUNTS[DEV_ROLES.requesters[2]]!, outcome: MISSED_COMMIT, commitWindow: 300, revealWindow: 3_600 },
] as const;

let t: TestChain;
const honest: ProviderProcess[] = [];
const faulty: ProviderProcess[] = [];
const requesters: Requester[] = [];
const jobIds: bigint[] = [];
let before: Snapshot;

type Snapshot = { providers: Map<string, { stake: bigint; earnings: bigint; locked: bigint; awarded: number; agreed: number; missed: number }>; requesters: Map<string, { balance: bigint; credit: bigint }> };

/** Stake, earnings and counters of every provider, tokens and credit of every requester, all at one block. */
async function snapshot(): Promise<Snapshot> {
  const blockNumber = await t.publicClient.getBlockNumber({ cacheTime: 0 });
  const market = t.deployment.jobMarket;
  const providers = new Map<string, Snapshot["providers"] extends Map<string, infer V> ? V : never>();
  for (const r of [...HONEST, ...SCENARIOS]) {
    const v = (await t.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: "getProvider", args: [r.key.address], blockNumber })) as any;
    providers.set(r.key.address, { stake: v.stake, earnings: v.earnings, locked: v.locked, awarded: Number(v.awarded), agreed: Number(v.agreed), missed: Number(v.missed) });
  }
  const reqs = new Map<string, { balance: bigint; credit: bigint }>();
  for (const s of SCENARIOS) {
    const a = s.requesterKey.address;
    const balance = await t.publicClient.readContract({ address: t.deployment.token, abi: testTokenAbi, functionName: "balanceOf", args: [a], blockNumber });
    const credit = await t.publicClient.readContract({ address: market, abi: jobMarketAbi, functionName: "withdrawable", args: [a], blockNumber });
    reqs.set(a, { balance: balance as bigint, credit: credit as bigint });
  }
  return { providers, requesters: reqs };
}

// viem caches getBlockNumber for a few seconds: a cached head misses the settlement just mined.
async function eventsOf(jobId: bigint): Promise<MarketEvent[]> {
  return getMarketEvents(t.publicClient, { address: t.deployment.jobMarket, fromBlock: BigInt(t.deployment.startBlock), toBlock: await t.publicClient.getBlockNumber({ cacheTime: 0 }), jobId });
}
const named = <T,>(events: MarketEvent[], name: MarketEvent["eventName"]) => events.filter((e) => e.eventName === name).map((e) => ({ ...(e.args as T), transactionHash: e.transactionHash as Hex }));
const byProvider = <T extends { provider: string }>(rows: T[]) => new Map(rows.map((r) => [r.provider.toLowerCase(), r]));
const lc = (a: string) => a.toLowerCase();

async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x))} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  t = await startTestChain();
  const market = t.deployment.jobMarket;
  const roles: Role[] = [...HONEST, ...SCENARIOS];
  await Promise.all(roles.map((r) => registerProvider(t.rpcUrl, market, r.key.privateKey)));
  // No scheduled withdrawals: earnings stay credited, so they can be compared exactly.
  const env = { ACCORD_LIMIT_WITHDRAW_INTERVAL_MS: "0" };
  const spawned = await Promise.all([
    ...HONEST.map((r) => spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: r.key.privateKey, env, args: ["--min-price", String(r.price)] })),
    ...SCENARIOS.map((s) =>
      spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: s.key.privateKey, env, args: ["--min-price", String(s.price), "--fault", s.fault, "--allow-requesters", s.requesterKey.address] }),
    ),
  ]);
  honest.push(...spawned.slice(0, HONEST.length));
  faulty.push(...spawned.slice(HONEST.length));
  requesters.push(...(await Promise.all(SCENARIOS.map((s) => Requester.create(t, s.requesterKey)))));
  await Promise.all(requesters.map((r) => r.connect(spawned.flatMap((p) => p.info.multiaddrs))));
});

afterAll(async () => {
  await Promise.all([...honest, ...faulty].map((p) => p.kill()));
  await Promise.all(requesters.map((r) => r.stop()));
  await t?.stop();
  for (const p of [...honest, ...faulty]) rmSync(p.dataDir, { recursive: true, force: true });
});

describe("provider faults on 2-of-3 jobs", { timeout: 180_000 }, () => {
  it("each faulty daemon wins a replica and misbehaves as told, while the honest ones commit and reveal", async () => {
    before = await snapshot();
    jobIds.push(
      ...(await Promise.all(
        SCENARIOS.map((s, i) => requesters[i]!.postJob({ replicas: 3, quorum: 2, maxPrice: MAX_PRICE, commitWindow: s.commitWindow, revealWindow: s.revealWindow, stdin: new TextEncoder().encode(`fault ${s.fault}`) })),
      )),
    );
    const [neverReveal, copyCommit, silent] = jobIds as [bigint, bigint, bigint];
    const market = t.deployment.jobMarket;

    // never-reveal and copy-commit: all three committed, so the reveal phase opened; both honest daemons revealed.
    for (const jobId of [neverReveal, copyCommit])
      await waitFor(`job ${jobId}`, () => readJob(t.publicClient, market, jobId), (j) => j.state !== "Committing" && j.state !== "Open" && (j.reveals >= 2 || j.terminal));
    // silent-after-award: the two honest daemons committed, the faulty one did nothing.
    await waitFor(`job ${silent}`, () => readJob(t.publicClient, market, silent), (j) => j.state !== "Open" && (j.commits >= 2 || j.terminal));
    await faulty[0]!.waitForLog((l) => l.event === LOG_EVENTS.fault && l.deviation === "withhold-reveal" && l.jobId === neverReveal.toString());
    await faulty[1]!.waitForLog((l) => l.event === LOG_EVENTS.fault && l.deviation === "copy-commitment" && l.jobId === copyCommit.toString());
    await faulty[2]!.waitForLog((l) => l.event === LOG_EVENTS.fault && l.deviation === "nothing-after-award" && l.jobId === silent.toString());

    for (const [i, jobId] of jobIds.entries()) {
      const s = SCENARIOS[i]!;
      const job = await readJob(t.publicClient, market, jobId);
      const ev = await eventsOf(jobId);
      // Exactly the three intended bidders, at their configured prices, all awarded.
      const bids = byProvider(named<{ provider: string; price: bigint }>(ev, "BidPlaced"));
      expect(new Map([...bids].map(([a, b]) => [a, b.price]))).toEqual(new Map([...HONEST, s].map((r) => [lc(r.key.address), r.price])));
      expect(named(ev, "JobAwarded")).toHaveLength(1);
      const commits = byProvider(named<{ provider: string }>(ev, "Committed"));
      const reveals = byProvider(named<{ provider: string; resultDigest: Hex }>(ev, "Revealed"));
      for (const h of HONEST) expect(commits.has(lc(h.key.address)), `honest ${h.key.address} committed in job ${jobId}`).toBe(true);
      expect(reveals.has(lc(s.key.address))).toBe(false);
      if (s.fault === "silent-after-award") {
        expect(job.state).toBe("Committing");
        expect(job.commits).toBe(2);
        expect(commits.has(lc(s.key.address))).toBe(false);
        expect(reveals.size).toBe(0);
      } else {
        expect(job.state).toBe("Revealing");
        expect(job.commits).toBe(3);
        expect(job.reveals).toBe(2);
        expect(commits.has(lc(s.key.address))).toBe(true);
        for (const h of HONEST) expect(reveals.has(lc(h.key.address)), `honest ${h.key.address} revealed in job ${jobId}`).toBe(true);
        // `Committed` names the replica, not its commitment: that is in the calldata of the provider's own
        // commit, or of its bidAndCommit when the commitment rode in the bid.
        const commitmentOf = async (address: string): Promise<Hex> => {
          const key = lc(address);
          for (const hash of [commits.get(key)!.transactionHash, bids.get(key)!.transactionHash]) {
            const tx = await t.publicClient.getTransaction({ hash });
            if (lc(tx.from) !== key) continue;
            const outer = decodeFunctionData({ abi: jobMarketAbi, data: tx.input });
            const calls = outer.functionName === "tryMulticall" ? (outer.args[0] as readonly Hex[]).map((data) => decodeFunctionData({ abi: jobMarketAbi, data })) : [outer];
            for (const c of calls) {
              const a = c.args as readonly unknown[];
              if (c.functionName === "commit" && a[0] === jobId) return a[1] as Hex;
              if (c.functionName === "bidAndCommit" && a[0] === jobId) return a[2] as Hex;
            }
          }
          throw new Error(`no commit or bidAndCommit of job ${jobId} sent by ${address}`);
        };
        const honestCommitments = await Promise.all(HONEST.map((h) => commitmentOf(h.key.address)));
        const faultyCommitment = await commitmentOf(s.key.address);
        if (s.fault === "never-reveal") {
          expect(honestCommitments).not.toContain(faultyCommitment);
        } else {
          // copy-commit: its commitment is byte for byte another winner's...
          const copied = HONEST.find((_, i) => honestCommitments[i] === faultyCommitment);
          expect(copied, "the copier's commitment equals an honest winner's").toBeDefined();
          // ...and even with that winner's own (now public) result CID and salt, the contract refuses
          // the copier's reveal: the commitment binds the provider's address.
          const tx = await t.publicClient.getTransaction({ hash: reveals.get(lc(copied!.key.address))!.transactionHash });
          // The honest daemon's batcher may have sent the reveal alone or inside a tryMulticall.
          const outer = decodeFunctionData({ abi: jobMarketAbi, data: tx.input });
          const calls = outer.functionName === "tryMulticall" ? (outer.args[0] as readonly Hex[]).map((data) => decodeFunctionData({ abi: jobMarketAbi, data })) : [outer];
          const reveal = calls.find((c) => c.functionName === "reveal" && (c.args as readonly unknown[])[0] === jobId);
          expect(reveal, `the honest winner's transaction carries its reveal of job ${jobId}`).toBeDefined();
          const args = reveal!.args;
          await expect(t.publicClient.simulateContract({ address: market, abi: jobMarketAbi, functionName: "reveal", args: args as never, account: s.key.address })).rejects.toThrow(/CommitmentMismatch/);
          // The same arguments from the honest winner pass every check up to "already revealed".
          await expect(t.publicClient.simulateContract({ address: market, abi: jobMarketAbi, functionName: "reveal", args: args as never, account: copied!.key.address })).rejects.toThrow(/AlreadyRevealed/);
        }
      }
    }
  });

  it("past the deadlines the jobs settle on the honest quorum and each faulty replica is slashed as PROTOCOL.md says", async () => {
    await t.increaseTime(JUMP_S);
    // Nobody but the daemons moves the jobs on: the honest ones finalize (never-reveal, copy-commit)
    // or reveal after the commit deadline, the last reveal settling (silent-after-award).
    for (const jobId of jobIds) await requesters[0]!.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed", "Expired"], 90_000).then((j) => expect(j.state, `job ${jobId}`).toBe("Succeeded"));

    const after = await snapshot();
    const paidTo = new Map<string, bigint>();
    for (const [i, jobId] of jobIds.entries()) {
      const s = SCENARIOS[i]!;
      const ev = await eventsOf(jobId);
      const settled = named<{ state: number; resultDigest: Hex; paid: bigint; fee: bigint; refunded: bigint; slashed: bigint }>(ev, "JobSettled");
      expect(settled).toHaveLength(1);
      const replicas = byProvider(named<{ provider: string; outcome: number; paid: bigint; slashed: bigint }>(ev, "ReplicaSettled"));
      const outcomes = new Map([...replicas].map(([a, r]) => [a, { outcome: r.outcome, paid: r.paid, slashed: r.slashed }]));
      // Honest: Agreed and paid exactly their bid, nothing slashed. Faulty: its outcome, its whole
      // collateral (100 % of the job's max price in the test market, whatever it bid) slashed, nothing paid.
      expect(outcomes).toEqual(
        new Map<string, { outcome: number; paid: bigint; slashed: bigint }>([
          ...HONEST.map((h) => [lc(h.key.address), { outcome: AGREED, paid: h.price, slashed: 0n }] as const),
          [lc(s.key.address), { outcome: s.outcome, paid: 0n, slashed: MAX_PRICE }],
        ]),
      );
      const paid = HONEST.reduce((sum, h) => sum + h.price, 0n);
      const escrow = 3n * MAX_PRICE;
      expect(settled[0]).toMatchObject({ paid, fee: 0n, refunded: escrow - paid, slashed: MAX_PRICE });
      // The consensus digest is the honest one both honest daemons revealed.
      const reveals = named<{ provider: string; resultDigest: Hex }>(ev, "Revealed");
      expect(reveals.map((r) => lc(r.provider)).sort()).toEqual(HONEST.map((h) => lc(h.key.address)).sort());
      expect(reveals[0]!.resultDigest).toBe(reveals[1]!.resultDigest);
      expect(lc(reveals[0]!.resultDigest)).toBe(lc(settled[0]!.resultDigest));
      for (const h of HONEST) paidTo.set(h.key.address, (paidTo.get(h.key.address) ?? 0n) + h.price);

      // The requester paid only the honest bids; the slashed collateral went to the treasury, not to it.
      const r0 = before.requesters.get(s.requesterKey.address)!;
      const r1 = after.requesters.get(s.requesterKey.address)!;
      expect(r1.credit - r0.credit).toBe(escrow - paid);
      expect(r1.balance + r1.credit - (r0.balance + r0.credit)).toBe(-paid);

      // The faulty provider lost its collateral from its stake, earned nothing, and its counters show the miss.
      const p0 = before.providers.get(s.key.address)!;
      const p1 = after.providers.get(s.key.address)!;
      expect({ stake: p0.stake - p1.stake, earnings: p1.earnings - p0.earnings, locked: p1.locked, awarded: p1.awarded - p0.awarded, agreed: p1.agreed - p0.agreed, missed: p1.missed - p0.missed }).toEqual({
        stake: MAX_PRICE,
        earnings: 0n,
        locked: 0n,
        awarded: 1,
        agreed: 0,
        missed: 1,
      });
      const rep = await readProvider(t.publicClient, t.deployment.jobMarket, s.key.address);
      // Judged at the job's max price against a prior of minStake (1 token): 1e6 * 10_000 / (1e4 + 2e6),
      // below a newcomer's 5_000.
      expect(rep.score).toBe(4_975);
    }
    // Honest providers: paid their bid in each of the three jobs, stake untouched, nothing left locked.
    for (const h of HONEST) {
      const p0 = before.providers.get(h.key.address)!;
      const p1 = after.providers.get(h.key.address)!;
      expect({ stake: p1.stake - p0.stake, earnings: p1.earnings - p0.earnings, locked: p1.locked, awarded: p1.awarded - p0.awarded, agreed: p1.agreed - p0.agreed, missed: p1.missed - p0.missed }).toEqual({
        stake: 0n,
        earnings: paidTo.get(h.key.address)!,
        locked: 0n,
        awarded: 3,
        agreed: 3,
        missed: 0,
      });
    }

    // Each faulty daemon saw the verdict on its replica.
    const names = ["Agreed", "Dissented", "MissedCommit", "MissedReveal"];
    await Promise.all(
      SCENARIOS.map((s, i) => faulty[i]!.waitForLog((l) => l.event === LOG_EVENTS.slashed && l.jobId === jobIds[i]!.toString() && l.outcome === names[s.outcome])),
    );

    // The requester's credit is real tokens: withdraw it.
    const s = SCENARIOS[0]!;
    const wallet = createWalletClient({ chain: hardhat, transport: http(t.rpcUrl), account: privateKeyToAccount(s.requesterKey.privateKey) });
    const hash = await wallet.writeContract({ address: t.deployment.jobMarket, abi: jobMarketAbi, functionName: "withdraw", args: [] });
    expect((await t.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
    const balance = await t.publicClient.readContract({ address: t.deployment.token, abi: testTokenAbi, functionName: "balanceOf", args: [s.requesterKey.address] });
    expect(balance).toBe(after.requesters.get(s.requesterKey.address)!.balance + after.requesters.get(s.requesterKey.address)!.credit);
  });
});

// The provider's worst-case gas additions (provider-node/src/chain/gas.ts) measured on the contract:
// a call's gas is estimated on the last block, but on a chain with blocks of several seconds other
// providers' calls of the same job land before it in the same block, and the last reveal then also
// settles the job, the k-th bid awards it, the last commit opens the reveal phase. Each bound must
// cover (gas of the call when it does that extra work) - (least gas of the same call when it does
// not), at its worst: every settled replica slashed into a zero counter slot, a requester and a
// treasury credited for the first time, every winner's commitment emitted at the award, a displacing
// bid shifting the whole book. Measured for k = 1..16 on Hardhat's in-process chain.
import { beforeAll, describe, expect, it } from "vitest";
import { getAddress, parseEther, toHex, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { cidOf, commitmentOf, deployMarket, saltOf, type Deployed } from "../contracts/market.ts";
import { awardExtraGas, commitExtraGas, settleExtraGas, worstCaseExtraGas } from "../../provider-node/src/chain/gas.ts";

type Actor = { address: Address; type: "json-rpc" };

let m: Deployed;
const actors: Actor[] = [];
let fresh = 0;

/** An impersonated, funded account nobody has used (so every slot it touches starts at zero). */
async function newActor(): Promise<Actor> {
  const address = getAddress(privateKeyToAddress(toHex(0xacc0d000n + BigInt(++fresh), { size: 32 })));
  await m.networkHelpers.impersonateAccount(address);
  await m.networkHelpers.setBalance(address, parseEther("100"));
  return { address, type: "json-rpc" };
}

beforeAll(async () => {
  m = await deployMarket({ feeBps: 100 });
  // 17: a full book of 16 and one more to displace its worst entry.
  for (let i = 0; i < 17; i++) {
    const a = await newActor();
    const amount = 1_000_000n * m.unit;
    await m.fund(a.address, amount);
    await m.token.write.approve([m.market.address, amount], { account: a });
    // Ask price 0 leaves the {dissented, missed, askPrice} slot zero: a first slash writes a fresh slot.
    await m.market.write.registerProvider([toHex(`peer-${i}`), [], 0n], { account: a });
    await m.market.write.stake([amount], { account: a });
    actors.push(a);
  }
}, 120_000);

async function post(k: number, q: number, bidWindow = 0): Promise<bigint> {
  // A new requester each time: its credit slot is zero until this job's settlement refunds it.
  const requester = await newActor();
  const params = m.jobParams({ replicas: k, quorum: q, bidWindow, manifestCid: cidOf(`manifest:${fresh}`).cid });
  const gross = BigInt(k) * params.maxPrice;
  const escrow = gross + (gross * 100n) / 10_000n;
  await m.fund(requester.address, escrow);
  await m.token.write.approve([m.market.address, escrow], { account: requester });
  const hash = await m.market.write.postJob([params], { account: requester });
  const receipt = await m.publicClient.waitForTransactionReceipt({ hash });
  const logs = await m.publicClient.getContractEvents({ address: m.market.address, abi: m.market.abi, eventName: "JobPosted", fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber });
  return logs[0]!.args.jobId!;
}

const result = (i: number, dissenters: number) => (i < dissenters ? `wrong-${i}` : "result");
const commitment = (jobId: bigint, a: Actor, res: string): Hex => commitmentOf(jobId, a.address, cidOf(res).digest, saltOf(`${jobId}:${a.address}`));
/**
 * What the call needs as its gas limit: the node's estimate (the least limit it succeeds with),
 * which unlike the receipt's gasUsed includes the gas that storage refunds give back only at the end.
 * Then the call is sent, so the next one sees its effects.
 */
async function needs(functionName: "bid" | "bidAndCommit" | "commit" | "reveal", args: readonly unknown[], account: Actor): Promise<bigint> {
  const call = { address: m.market.address, abi: m.market.abi, functionName, args, account } as never;
  const estimate = await m.publicClient.estimateContractGas(call);
  await m.publicClient.waitForTransactionReceipt({ hash: await (m.market.write[functionName] as (a: never, o: never) => Promise<Hex>)(args as never, { account } as never) });
  return estimate;
}

async function bidAndCommit(jobId: bigint, i: number, res: string, price = 5n * m.unit) {
  return needs("bidAndCommit", [jobId, price, commitment(jobId, actors[i]!, res)], actors[i]!);
}
async function reveal(jobId: bigint, i: number, res: string) {
  return needs("reveal", [jobId, cidOf(res).cid, saltOf(`${jobId}:${actors[i]!.address}`), cidOf(`sealed:${res}:${i}`, true).cid], actors[i]!);
}

describe("worst-case gas bounds (provider-node/src/chain/gas.ts) against the contract", () => {
  it("the settling reveal: settleExtraGas(k) covers settlement with every minority replica slashed into fresh slots", async () => {
    const rows = [];
    for (let k = 1; k <= 16; k++) {
      const q = Math.floor(k / 2) + 1;
      const dissenters = k - q;
      const jobId = await post(k, q);
      for (let i = 0; i < k; i++) await bidAndCommit(jobId, i, result(i, dissenters));
      // The last revealer sits at the end of the book (the longest replica scan); every other reveal is not last.
      const plain: bigint[] = [];
      for (let i = 0; i < k - 1; i++) plain.push(await reveal(jobId, i, result(i, dissenters)));
      const settling = await reveal(jobId, k - 1, result(k - 1, dissenters));
      const state = (await m.market.read.getJob([jobId])).state;
      expect(state).toBe(4); // Succeeded
      // k = 1 has no reveal that does not settle; its own estimate always includes the settlement.
      const least = plain.length ? plain.reduce((a, b) => (a < b ? a : b)) : settling;
      rows.push({ k, settling: Number(settling), leastPlain: Number(least), extra: Number(settling - least), bound: Number(settleExtraGas(k)) });
    }
    console.table(rows);
    for (const r of rows) expect(r.extra, `k = ${r.k}`).toBeLessThanOrEqual(r.bound);
  });

  it("the awarding or displacing bid: its bound covers the k-th committed bid (award, k Committed, reveal opened) and a displacement shifting a full pool", async () => {
    // A displacement happens only in a full pool (16 entries, whatever k): a heavier bid takes the
    // place of the lightest, here the first, so every entry and commitment after it shifts.
    const pooled = await post(16, 9, 600);
    const light = await newActor();
    await m.fund(light.address, 100n * m.unit);
    await m.token.write.approve([m.market.address, 100n * m.unit], { account: light });
    await m.market.write.registerProvider([toHex("peer-light"), [], 0n], { account: light });
    await m.market.write.stake([100n * m.unit], { account: light });
    await needs("bidAndCommit", [pooled, 5n * m.unit, commitment(pooled, light, "result")], light);
    const fill: bigint[] = [];
    for (let i = 0; i < 15; i++) fill.push(await bidAndCommit(pooled, i, "result"));
    const displacing = await bidAndCommit(pooled, 15, "result", 1n);
    const rows = [];
    for (let k = 1; k <= 16; k++) {
      const jobId = await post(k, Math.floor(k / 2) + 1);
      const bids: bigint[] = [];
      for (let i = 0; i < k; i++) bids.push(await bidAndCommit(jobId, i, "result"));
      const awarding = bids[k - 1]!;
      // The same bids into a job with a bid window: none of them awards.
      const open = await post(k, Math.floor(k / 2) + 1, 600);
      const firsts: bigint[] = [];
      for (let i = 0; i < k; i++) firsts.push(await bidAndCommit(open, i, "result", 5n * m.unit - BigInt(i)));
      const least = [...bids, ...firsts].reduce((a, b) => (a < b ? a : b));
      const leastInPool = fill.reduce((a, b) => (a < b ? a : b));
      rows.push({ k, awarding: Number(awarding), least: Number(least), award: Number(awarding - least), displace: Number(displacing - leastInPool), bound: Number(worstCaseExtraGas("bidAndCommit", k)), awardBound: Number(awardExtraGas(k)) });
    }
    console.table(rows);
    for (const r of rows) {
      expect(r.award, `award, k = ${r.k}`).toBeLessThanOrEqual(r.awardBound);
      expect(Math.max(r.award, r.displace), `bid, k = ${r.k}`).toBeLessThanOrEqual(r.bound);
    }
  });

  it("the commit that opens the reveal phase: commitExtraGas covers it", async () => {
    const rows = [];
    for (const k of [1, 2, 3, 8, 16]) {
      const jobId = await post(k, Math.floor(k / 2) + 1);
      for (let i = 0; i < k; i++) await needs("bid", [jobId, 5n * m.unit], actors[i]!);
      const commits: bigint[] = [];
      for (let i = 0; i < k; i++) commits.push(await needs("commit", [jobId, commitment(jobId, actors[i]!, "result")], actors[i]!));
      const least = commits.reduce((a, b) => (a < b ? a : b));
      rows.push({ k, opening: Number(commits[k - 1]), least: Number(least), extra: Number(commits[k - 1]! - least), bound: Number(commitExtraGas(k)) });
    }
    console.table(rows);
    for (const r of rows) expect(r.extra, `k = ${r.k}`).toBeLessThanOrEqual(r.bound);
  });
});

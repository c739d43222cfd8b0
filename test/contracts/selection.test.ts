// Random, stake-weighted selection (issue #13, item 1; docs/PROTOCOL.md, "Selection"): bids enter a
// pool, and once it has closed the replicas are drawn from it by stake with the block's randomness.
import { describe, expect, it } from "vitest";
import { getAddress, keccak256, pad, toHex, type Address, type Hex } from "viem";
import { drawIndices, drawSeed } from "../../client/src/chain/draw.ts";
import { eventsOf, revertOf, State, type Deployed } from "./market.ts";
import { useMarket } from "./setup.ts";

const POOL_WINDOW = 30;
const SEED_DELAY = 12;
const MAX_POOL = 16;

/**
 * `n` more providers beyond the ten dev accounts, as impersonated addresses with ETH for gas, each
 * registered with `stake` (a list gives each its own).
 */
async function identities(m: Deployed, from: number, stake: bigint | bigint[]): Promise<Address[]> {
  const stakes = Array.isArray(stake) ? stake : [stake];
  const out: Address[] = [];
  for (let i = 0; i < stakes.length; i++) {
    const address = getAddress(pad(toHex(0x5eed_0000 + from + i), { size: 20 }));
    await m.networkHelpers.impersonateAccount(address);
    await m.networkHelpers.setBalance(address, 10n ** 20n);
    await m.fund(address, stakes[i]!);
    await m.token.write.approve([m.market.address, stakes[i]!], { account: address });
    await m.market.write.registerProvider([toHex(`peer-${address}`), [], 1n], { account: address });
    await m.market.write.stake([stakes[i]!], { account: address });
    out.push(address);
  }
  return out;
}

const bidAs = (m: Deployed, jobId: bigint, who: Address, price: bigint, commitment: Hex = pad("0x0")) =>
  m.market.write.bidAndCommit([jobId, price, commitment], { account: who });

/** Makes the next block's `prevrandao` a value of the test's choosing, so every draw is reproducible. */
async function nextRandomness(m: Deployed, label: string) {
  await m.networkHelpers.setPrevRandao(BigInt(keccak256(toHex(label))));
}

describe("JobMarket selection: a pool, then a draw by stake", () => {
  const ctx = useMarket({ providers: 6, poolWindow: POOL_WINDOW, seedDelay: SEED_DELAY });

  it("holds every bid in the pool until it closes, waits the seed delay, then draws k and unlocks the rest", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    for (let i = 0; i < 5; i++) await m.bid(jobId, i, BigInt(9 - i) * m.unit);
    // Every bid locks the job's collateral (its max price, 10, at 100 %), whatever it bid.
    for (let i = 0; i < 5; i++) expect((await m.market.read.getProvider([m.providers[i]!.address])).locked).toBe(10n * m.unit);
    const job = await m.market.read.getJob([jobId]);
    expect(job.bids).toBe(5);
    const close = BigInt((await m.publicClient.getBlock()).timestamp) - 4n + 600n; // five bids, one block each, after the post
    expect(BigInt(job.deadline)).toBeGreaterThanOrEqual(close + BigInt(SEED_DELAY) - 1n);

    await m.networkHelpers.time.increaseTo(job.deadline - BigInt(SEED_DELAY));
    expect((await revertOf(m.bid(jobId, 5, m.unit))).name).toBe("BiddingClosed");
    const early = await revertOf(m.market.write.award([jobId]));
    expect([early.name, early.args[1]]).toEqual(["DeadlineNotReached", BigInt(job.deadline)]);

    await m.networkHelpers.time.increaseTo(job.deadline - 1n);
    await nextRandomness(m, "draw 1");
    const events = await eventsOf(m, await m.market.write.award([jobId]));
    expect(events.map((e) => e.eventName)).toEqual(["ReplicasDrawn", "BidDisplaced", "BidDisplaced", "JobAwarded"]);
    expect(events[0]!.args.pool).toBe(5);
    const drawn = (await m.market.read.getReplicas([jobId])).map((r) => r.provider);
    const displaced = events.filter((e) => e.eventName === "BidDisplaced").map((e) => e.args.provider as Address);
    expect(drawn).toHaveLength(3);
    expect(new Set([...drawn, ...displaced])).toEqual(new Set(m.providers.slice(0, 5).map((p) => p.address)));
    // Winners keep their lock for the replica; everyone else is free again. Each is paid its own bid.
    for (const p of drawn) expect((await m.market.read.getProvider([p])).locked).toBe(10n * m.unit);
    for (const p of displaced) expect((await m.market.read.getProvider([p])).locked).toBe(0n);
    const prices = Object.fromEntries(m.providers.slice(0, 5).map((p, i) => [p.address, BigInt(9 - i) * m.unit]));
    for (const r of await m.market.read.getReplicas([jobId])) expect(r.price).toBe(prices[r.provider]);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Committing);
  });

  it("draws the same winners from the same pool and randomness, and others from other randomness", async () => {
    const { m } = ctx;
    const draw = async (label: string) => {
      const jobId = await m.post({ replicas: 2, quorum: 2, bidWindow: 600 });
      for (let i = 0; i < 6; i++) await m.bid(jobId, i, m.unit);
      await m.networkHelpers.time.increaseTo((await m.market.read.getJob([jobId])).deadline - 1n);
      await nextRandomness(m, label);
      await m.market.write.award([jobId]);
      return (await m.market.read.getReplicas([jobId])).map((r) => r.provider).join();
    };
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add(await draw(`label ${i}`));
    // 15 possible pairs of 6: eight draws that all agreed would mean the randomness is not used.
    expect(seen.size).toBeGreaterThan(1);
  });

  it("draws exactly as the library's off-chain model of the draw says, from the block's prevrandao and parent hash", async () => {
    const { m } = ctx;
    for (let n = 0; n < 6; n++) {
      const jobId = await m.post({ replicas: 1 + (n % 3), quorum: 1 + (n % 3), bidWindow: 600 });
      for (let i = 0; i < 6; i++) await m.bid(jobId, i, BigInt(1 + ((i + n) % 10)) * m.unit);
      const pool = await m.market.read.getReplicas([jobId]);
      await m.networkHelpers.time.increaseTo((await m.market.read.getJob([jobId])).deadline - 1n);
      await nextRandomness(m, `model ${n}`);
      const receipt = await m.publicClient.waitForTransactionReceipt({ hash: await m.market.write.award([jobId]) });
      const block = await m.publicClient.getBlock({ blockNumber: receipt.blockNumber });
      const seed = drawSeed(block.mixHash, block.parentHash, jobId, pool);
      const drawn = (await eventsOf(m, receipt.transactionHash)).find((e) => e.eventName === "ReplicasDrawn")!;
      expect(drawn.args.seed).toBe(seed);
      const expected = drawIndices(seed, pool.map((e) => e.weight), 1 + (n % 3)).map((i) => pool[i]!.provider);
      expect((await m.market.read.getReplicas([jobId])).map((r) => r.provider)).toEqual(expected);
    }
  });

  it("awards a pool of k at its close with nothing to draw, and one of quorum..k as it is", async () => {
    const { m } = ctx;
    const exact = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    for (let i = 0; i < 3; i++) await m.bid(exact, i, m.unit);
    const short = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    for (let i = 3; i < 5; i++) await m.bid(short, i, m.unit);
    await m.networkHelpers.time.increaseTo((await m.market.read.getJob([short])).deadline);
    expect((await eventsOf(m, await m.market.write.award([exact]))).map((e) => e.eventName)).toEqual(["JobAwarded"]);
    await m.market.write.award([short]);
    expect((await m.market.read.getJob([short])).bids).toBe(2);
    expect((await m.market.read.getJob([short])).state).toBe(State.Committing);
  });

  it("with a zero bid window: fills a pool for the pool window, draws after it, and lets a short pool fill late", async () => {
    const { m } = ctx;
    const pooled = await m.post({ replicas: 2, quorum: 2 });
    for (let i = 0; i < 4; i++) await m.bidAndCommit(pooled, i, m.unit);
    // Four committed bids for two replicas: the k-th did not award, the pool stays open for its window.
    const open = await m.market.read.getJob([pooled]);
    expect(open.state).toBe(State.Open);
    await m.networkHelpers.time.increaseTo(open.deadline - 1n);
    await nextRandomness(m, "pooled");
    const events = (await eventsOf(m, await m.market.write.award([pooled]))).map((e) => e.eventName);
    // Every drawn replica had committed with its bid: the reveal phase opens with the award.
    expect(events).toEqual(["ReplicasDrawn", "BidDisplaced", "BidDisplaced", "JobAwarded", "Committed", "Committed", "RevealOpened"]);
    const [a, b] = (await m.market.read.getReplicas([pooled])).map((r) => m.providers.findIndex((p) => p.address === r.provider));
    await m.reveal(pooled, a!);
    await m.reveal(pooled, b!);
    expect((await m.market.read.getJob([pooled])).state).toBe(State.Succeeded);

    // A pool still short of k when its window ends keeps taking bids; the k-th awards at once.
    const thin = await m.post({ replicas: 3, quorum: 2 });
    await m.bid(thin, 0, m.unit);
    await m.networkHelpers.time.increase(POOL_WINDOW);
    await m.bid(thin, 1, m.unit);
    expect((await m.market.read.getJob([thin])).state).toBe(State.Open);
    expect((await eventsOf(m, await m.bid(thin, 2, m.unit))).map((e) => e.eventName)).toEqual(["BidPlaced", "JobAwarded"]);
    // ...and a full one takes no more.
    const full = await m.post({ replicas: 2, quorum: 2 });
    await m.bid(full, 0, m.unit);
    await m.bid(full, 1, m.unit);
    await m.networkHelpers.time.increase(POOL_WINDOW);
    expect((await revertOf(m.bid(full, 2, m.unit))).name).toBe("BiddingClosed");
  });

  it("admits a bid to a full pool only in place of a lighter stake: cheap identities cannot fill it and hold it", async () => {
    const { m } = ctx;
    const sybils = await identities(m, 0, Array<bigint>(MAX_POOL).fill(20n * m.unit));
    const jobId = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    for (const s of sybils) await bidAs(m, jobId, s, 1n);
    expect((await m.market.read.getJob([jobId])).bids).toBe(MAX_POOL);
    // Provider 0 stakes 1,000 tokens, capped at 64 collaterals (640): it weighs 64,000; each sybil 2,000.
    const [light] = await identities(m, 100, [15n * m.unit]);
    expect(await revertOf(bidAs(m, jobId, light!, 1n))).toEqual({ name: "PoolFull", args: [jobId, 1_500n, 2_000n] });
    const events = await eventsOf(m, await m.bid(jobId, 0, 10n * m.unit));
    expect(events.map((e) => e.eventName)).toEqual(["BidDisplaced", "BidPlaced"]);
    // Among equally light entries the latest leaves, so the earlier bids keep their places.
    expect(events[0]!.args.provider).toBe(sybils[MAX_POOL - 1]);
    expect((await m.market.read.getProvider([sybils[MAX_POOL - 1]!])).locked).toBe(0n);
  });
});

describe("JobMarket selection against many identities", () => {
  const ctx = useMarket({ providers: 8, poolWindow: POOL_WINDOW, seedDelay: 0 });

  it("gives two 1-wei identities at minimum stake each replica with about their stake share, not every replica", async () => {
    const { m } = ctx;
    // Eight honest providers at 1,000 tokens (capped at 640 for a 10-token job), two attackers at the
    // minimum stake of 10 + 10 tokens: the attackers hold 20 / (8 x 640 + 20) = 0.4 % of the weight.
    // Under the old best-k auction their two 1-wei bids took two of three replicas of every job.
    const attackers = await identities(m, 0, [10n * m.unit, 10n * m.unit]);
    let replicasHeld = 0;
    let jobsDecided = 0;
    // No job here settles, so an attacker drawn once keeps its whole stake (one collateral) locked and
    // cannot bid again, as a real one could not. The seed hashes the parent block, whose hash moves with
    // the wall clock, so whether that happens varies between runs (~1 in 8 drew an attacker).
    const locked = new Set<string>();
    const JOBS = 12;
    for (let j = 0; j < JOBS; j++) {
      const jobId = await m.post({ replicas: 3, quorum: 2 });
      for (const a of attackers) if (!locked.has(a)) await bidAs(m, jobId, a, 1n);
      for (let i = 0; i < 8; i++) await m.bid(jobId, i, 10n * m.unit);
      await m.networkHelpers.time.increaseTo((await m.market.read.getJob([jobId])).deadline - 1n);
      await nextRandomness(m, `attack ${j}`);
      await m.market.write.award([jobId]);
      const drawn = (await m.market.read.getReplicas([jobId])).filter((r) => attackers.includes(r.provider));
      for (const r of drawn) locked.add(r.provider);
      const held = drawn.length;
      replicasHeld += held;
      if (held >= 2) jobsDecided++;
    }
    // Expected replicas held: 36 x ~0.4 % = 0.14; the bound leaves room for bad luck and still fails
    // the old rule (24 of 36) by far.
    expect(replicasHeld).toBeLessThanOrEqual(3);
    expect(jobsDecided).toBe(0);
    // ~150 transactions: past the default 60 s when other suites load the machine.
  }, 300_000);

  it("weighs a stake the same whether it is one identity or split over several", async () => {
    const { m } = ctx;
    const [whole] = await identities(m, 10, [40n * m.unit]);
    const split = await identities(m, 20, [10n * m.unit, 10n * m.unit, 10n * m.unit, 10n * m.unit]);
    const jobId = await m.post({ replicas: 1, quorum: 1, bidWindow: 600 });
    await bidAs(m, jobId, whole!, 1n);
    for (const s of split) await bidAs(m, jobId, s, 1n);
    // Weights are in thousandths of the job's 10-token collateral: 40 tokens weigh 4,000, as do 4 x 10.
    const weights = (await m.market.read.getReplicas([jobId])).map((e) => e.weight);
    expect(weights).toEqual([4_000n, 1_000n, 1_000n, 1_000n, 1_000n]);
    // A stake beyond 64 collaterals weighs no more: provider 0 has 1,000 tokens.
    await m.bid(jobId, 0, 1n);
    expect((await m.market.read.getReplicas([jobId]))[5]!.weight).toBe(64_000n);
  });
});

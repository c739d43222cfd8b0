// Escalation (issue #13, item 4; docs/PROTOCOL.md, "Escalation"): a job whose reveals leave no digest
// with the quorum draws more replicas from providers not yet in it, up to the requester's cap, and
// judges every replica of every round against the final consensus.
import { describe, expect, it } from "vitest";
import { cidOf, eventsOf, marketBalance, Outcome, revertOf, State, type Deployed } from "./market.ts";
import { useMarket } from "./setup.ts";

const FEE_BPS = 100n;

/** A unanimous k = 4 job (bidding 1 token each) where provider 3 colludes and reveals a wrong digest. */
async function colluderJob(m: Deployed, maxReplicas: number) {
  const jobId = await m.post({ replicas: 4, quorum: 4, maxReplicas, maxPrice: 10n * m.unit });
  for (let i = 0; i < 4; i++) await m.bidAndCommit(jobId, i, m.unit, i === 3 ? "wrong" : "right");
  for (let i = 0; i < 3; i++) await m.reveal(jobId, i, "right");
  const last = await eventsOf(m, await m.reveal(jobId, 3, "wrong"));
  return { jobId, last };
}

const byName = (events: Array<{ eventName: string; args: Record<string, any> }>, name: string) => events.filter((e) => e.eventName === name);

describe("JobMarket escalation", () => {
  const ctx = useMarket({ providers: 8 });

  it("ends a unanimous job NoConsensus on one colluder's dissent when the requester allowed no escalation (today's rule, the default)", async () => {
    const { m } = ctx;
    const { last } = await colluderJob(m, 0);
    const [settled] = byName(last, "JobSettled");
    expect(settled!.args.state).toBe(State.NoConsensus);
    // Nobody judged: the three honest providers go unpaid and the colluder keeps its collateral.
    expect(byName(last, "ReplicaSettled").map((e) => e.args.outcome)).toEqual(Array(4).fill(Outcome.Unresolved));
    expect(settled!.args.slashed).toBe(0n);
    expect(byName(last, "JobEscalated")).toEqual([]);
  });

  it("escalates the colluder's dissent instead, settles with the honest majority, slashes the colluder and makes the requester whole", async () => {
    const { m } = ctx;
    const requester = m.requesters[0]!.address;
    const colluder = m.providers[3]!.address;
    const stakeBefore = (await m.market.read.getProvider([colluder])).stake;
    const { jobId, last } = await colluderJob(m, 5);

    const [escalated] = byName(last, "JobEscalated");
    expect(byName(last, "JobSettled")).toEqual([]);
    const now = BigInt((await m.publicClient.getBlock()).timestamp);
    expect(escalated!.args).toEqual({ jobId, round: 1, extra: 1, poolCloses: now }); // pool window 0: award on fill
    const job = await m.market.read.getJob([jobId]);
    expect([job.state, job.round, job.maxReplicas, job.bids, job.reveals]).toEqual([State.Open, 1, 5, 4, 4]);
    expect(job.escrow).toBe(50n * m.unit + (50n * m.unit * FEE_BPS) / 10_000n);

    // The round is for providers not yet in the job; earlier replicas can neither bid nor act in it,
    // and the requester can no longer walk away from the replicas it owes a judgement.
    expect((await revertOf(m.bid(jobId, 0, m.unit))).name).toBe("AlreadyBid");
    expect((await revertOf(m.market.write.cancel([jobId], { account: m.requesters[0] }))).name).toBe("JobEscalatedAlready");

    // A fifth, honest provider fills the round (the award), commits and reveals: the last reveal settles.
    const awarded = await eventsOf(m, await m.bid(jobId, 4, 2n * m.unit));
    expect(byName(awarded, "JobAwarded")[0]!.args.winners).toBe(1);
    expect((await revertOf(m.commit(jobId, 3, "wrong"))).name).toBe("NotAReplica");
    await m.commit(jobId, 4, "right");
    const before = await marketBalance(m);
    const treasuryBefore = await m.market.read.withdrawable([m.treasury.address]);
    const creditBefore = await m.market.read.withdrawable([requester]);
    const end = await eventsOf(m, await m.reveal(jobId, 4, "right"));

    const [settled] = byName(end, "JobSettled");
    expect(settled!.args.state).toBe(State.Succeeded);
    expect(settled!.args.resultDigest).toBe(cidOf("right").digest);
    const outcomes = byName(end, "ReplicaSettled").map((e) => [e.args.provider, e.args.outcome]);
    expect(outcomes).toEqual([0, 1, 2, 3, 4].map((i) => [m.providers[i]!.address, i === 3 ? Outcome.Dissented : Outcome.Agreed]));
    expect(settled!.args.paid).toBe(5n * m.unit); // three honest at 1 token, the fifth at 2
    expect(settled!.args.slashed).toBe(10n * m.unit);
    expect((await m.market.read.getProvider([colluder])).stake).toBe(stakeBefore - 10n * m.unit);

    // Restitution: the fifth replica's price and its fee come back out of the colluder's collateral,
    // so the requester pays what its three agreeing first-round replicas cost; the rest goes to the treasury.
    const restitution = 2n * m.unit + (2n * m.unit * FEE_BPS) / 10_000n;
    expect(byName(end, "Restituted")[0]!.args).toEqual({ jobId, requester, amount: restitution });
    const fee = (5n * m.unit * FEE_BPS) / 10_000n;
    const refunded = job.escrow - 5n * m.unit - fee;
    expect(settled!.args.refunded).toBe(refunded);
    expect((await m.market.read.withdrawable([requester])) - creditBefore).toBe(refunded + restitution);
    expect(job.escrow - refunded - restitution).toBe(3n * m.unit + (3n * m.unit * FEE_BPS) / 10_000n);
    expect((await m.market.read.withdrawable([m.treasury.address])) - treasuryBefore).toBe(fee + 10n * m.unit - restitution);
    expect(await marketBalance(m)).toBe(before); // credits moved, no token left the market
  });

  it("needs a digest with the quorum and more votes than all others together: k - m + 1 garbage reveals escalate until the honest result holds a majority", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2, maxReplicas: 8 });
    for (const [i, r] of [[0, "right"], [1, "garbage 1"], [2, "garbage 2"]] as const) await m.bidAndCommit(jobId, i, m.unit, r);
    await m.reveal(jobId, 0, "right");
    await m.reveal(jobId, 1, "garbage 1");
    const first = await eventsOf(m, await m.reveal(jobId, 2, "garbage 2"));
    expect(byName(first, "JobEscalated")[0]!.args).toMatchObject({ round: 1, extra: 3 });
    // Round 1: one honest replica, one more garbage and one that never reveals. "right" has 2 votes,
    // the quorum, but not more than the other three reveals together: the job escalates again, for the
    // two replicas the cap still allows.
    await m.bidAndCommit(jobId, 3, m.unit, "right");
    await m.bidAndCommit(jobId, 4, m.unit, "garbage 3");
    await m.bidAndCommit(jobId, 5, m.unit, "right");
    await m.reveal(jobId, 3, "right");
    const second = await eventsOf(m, await m.reveal(jobId, 4, "garbage 3"));
    expect(byName(second, "JobEscalated")).toEqual([]);
    await m.networkHelpers.time.increase(3_600);
    const again = await eventsOf(m, await m.market.write.claim([jobId]));
    expect(byName(again, "JobEscalated")[0]!.args).toMatchObject({ round: 2, extra: 2 });
    await m.bidAndCommit(jobId, 6, m.unit, "right");
    await m.bidAndCommit(jobId, 7, m.unit, "right");
    await m.reveal(jobId, 6, "right");
    const end = await eventsOf(m, await m.reveal(jobId, 7, "right"));
    const [settled] = byName(end, "JobSettled");
    expect([settled!.args.state, settled!.args.resultDigest]).toEqual([State.Succeeded, cidOf("right").digest]);
    expect(byName(end, "ReplicaSettled").map((e) => e.args.outcome)).toEqual([
      Outcome.Agreed,
      Outcome.Dissented,
      Outcome.Dissented,
      Outcome.Agreed,
      Outcome.Dissented,
      Outcome.MissedReveal,
      Outcome.Agreed,
      Outcome.Agreed,
    ]);
    expect(settled!.args.slashed).toBe(40n * m.unit);
  });

  it("ends NoConsensus at the cap, and when no fresh provider bids on a round, judging the missing and leaving the dissent unresolved", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2, maxReplicas: 4 });
    for (const [i, r] of [[0, "right"], [1, "garbage 1"], [2, "garbage 2"]] as const) await m.bidAndCommit(jobId, i, m.unit, r);
    for (const [i, r] of [[0, "right"], [1, "garbage 1"], [2, "garbage 2"]] as const) await m.reveal(jobId, i, r);
    // Round 1 (extra 1) gets no bid by its fill deadline: the award ends the job.
    await m.networkHelpers.time.increase(1_800);
    const unbid = await eventsOf(m, await m.market.write.claim([jobId]));
    const [settled] = byName(unbid, "JobSettled");
    expect(settled!.args.state).toBe(State.NoConsensus);
    expect(byName(unbid, "ReplicaSettled").map((e) => e.args.outcome)).toEqual(Array(3).fill(Outcome.Unresolved));
    expect(settled!.args.refunded).toBe(40n * m.unit + (40n * m.unit * FEE_BPS) / 10_000n); // the whole escrow, cap included

    // At the cap: the fourth replica agrees with "right", 2 votes against 2: NoConsensus, no further round.
    const capped = await m.post({ replicas: 3, quorum: 2, maxReplicas: 4 });
    for (const [i, r] of [[0, "right"], [1, "garbage 1"], [2, "garbage 2"]] as const) await m.bidAndCommit(capped, i, m.unit, r);
    for (const [i, r] of [[0, "right"], [1, "garbage 1"], [2, "garbage 2"]] as const) await m.reveal(capped, i, r);
    await m.bidAndCommit(capped, 3, m.unit, "right");
    const end = await eventsOf(m, await m.reveal(capped, 3, "right"));
    expect(byName(end, "JobEscalated")).toEqual([]);
    expect(byName(end, "JobSettled")[0]!.args.state).toBe(State.NoConsensus);
  });

  it("escrows the cap and refunds what no round used when the first round agrees", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 2, quorum: 2, maxReplicas: 8 });
    expect(await m.market.read.escrowOf([jobId])).toBe(80n * m.unit + (80n * m.unit * FEE_BPS) / 10_000n);
    await m.bidAndCommit(jobId, 0, 3n * m.unit);
    await m.bidAndCommit(jobId, 1, 3n * m.unit);
    await m.reveal(jobId, 0);
    const [settled] = byName(await eventsOf(m, await m.reveal(jobId, 1)), "JobSettled");
    expect(settled!.args.state).toBe(State.Succeeded);
    const fee = (6n * m.unit * FEE_BPS) / 10_000n;
    expect(settled!.args.refunded).toBe(80n * m.unit + (80n * m.unit * FEE_BPS) / 10_000n - 6n * m.unit - fee);
  });

  it("refuses a cap below k or above 16", async () => {
    const { m } = ctx;
    expect(await revertOf(m.post({ replicas: 3, quorum: 2, maxReplicas: 2 }))).toEqual({ name: "MaxReplicasOutOfRange", args: [2n, 3n, 16n] });
    expect(await revertOf(m.post({ replicas: 3, quorum: 2, maxReplicas: 17 }))).toEqual({ name: "MaxReplicasOutOfRange", args: [17n, 3n, 16n] });
  });
});

describe("JobMarket escalation with a pool", () => {
  const POOL_WINDOW = 30;
  const SEED_DELAY = 12;
  const ctx = useMarket({ providers: 8, poolWindow: POOL_WINDOW, seedDelay: SEED_DELAY });

  it("draws the round's replicas from its own pool after the pool window and seed delay, and frees the rest", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 2, quorum: 2, maxReplicas: 3, bidWindow: 600 });
    await m.bidAndCommit(jobId, 0, m.unit, "right");
    await m.bidAndCommit(jobId, 1, m.unit, "wrong");
    await m.networkHelpers.time.increase(600);
    await m.market.write.award([jobId]);
    await m.reveal(jobId, 0, "right");
    const [escalated] = byName(await eventsOf(m, await m.reveal(jobId, 1, "wrong")), "JobEscalated");
    expect(escalated!.args.extra).toBe(1);
    for (const i of [2, 3, 4]) await m.bidAndCommit(jobId, i, m.unit, "right");
    expect((await m.market.read.getJob([jobId])).deadline).toBe(escalated!.args.poolCloses + BigInt(SEED_DELAY));
    await m.networkHelpers.time.increaseTo(escalated!.args.poolCloses);
    expect((await revertOf(m.bid(jobId, 5, m.unit))).name).toBe("BiddingClosed");
    expect((await revertOf(m.market.write.award([jobId]))).name).toBe("DeadlineNotReached");
    await m.networkHelpers.time.increase(SEED_DELAY);
    const award = await eventsOf(m, await m.market.write.award([jobId]));
    expect(byName(award, "ReplicasDrawn")[0]!.args.pool).toBe(3);
    expect(byName(award, "BidDisplaced")).toHaveLength(2);
    const book = await m.market.read.getReplicas([jobId]);
    expect(book.map((r) => r.provider).slice(0, 2)).toEqual([m.providers[0]!.address, m.providers[1]!.address]);
    const drawn = m.providers.findIndex((p) => p.address === book[2]!.provider);
    expect([2, 3, 4]).toContain(drawn);
    // Every bidder committed with its bid: the award opens the reveal, and the drawn one's reveal settles.
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Revealing);
    for (const i of [2, 3, 4].filter((i) => i !== drawn)) expect((await m.market.read.getProvider([m.providers[i]!.address])).locked).toBe(0n);
    const end = await eventsOf(m, await m.reveal(jobId, drawn, "right"));
    expect(byName(end, "JobSettled")[0]!.args.state).toBe(State.Succeeded);
    expect(byName(end, "ReplicaSettled").map((e) => e.args.outcome)).toEqual([Outcome.Agreed, Outcome.Dissented, Outcome.Agreed]);
  });
});

import { describe, expect, it } from "vitest";
import { cidOf, eventsOf, Outcome, revertOf, saltOf, State, type Deployed } from "./market.ts";
import { useMarket } from "./setup.ts";

const ZERO = `0x${"00".repeat(32)}` as const;

/** Replica rows as [provider, committed, commitmentOrDigest]. */
async function book(m: Deployed, jobId: bigint) {
  return (await m.market.read.getReplicas([jobId])).map((r) => [r.provider, r.committed, r.commitmentOrDigest] as const);
}

describe("JobMarket committed bids (bidAndCommit)", () => {
  const ctx = useMarket({ providers: 6 });

  it("awards and opens the reveal phase in the k-th bid when every winner committed with its bid", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2 });
    await m.bidAndCommit(jobId, 0, 5n * m.unit);
    await m.bidAndCommit(jobId, 1, 6n * m.unit);
    // Before the award the commitment stays with the bid: no Committed event yet, the book shows it.
    expect(await book(m, jobId)).toEqual([
      [m.providers[0].address, true, m.commitmentFor(jobId, 0)],
      [m.providers[1].address, true, m.commitmentFor(jobId, 1)],
    ]);
    expect((await m.market.read.getJob([jobId])).commits).toBe(2);
    const hash = await m.bidAndCommit(jobId, 2, 7n * m.unit);
    const events = await eventsOf(m, hash);
    expect(events.map((e) => e.eventName)).toEqual(["BidPlaced", "JobAwarded", "Committed", "Committed", "Committed", "RevealOpened"]);
    // The event names the replica; its commitment stays readable in the book until it reveals.
    expect(events.filter((e) => e.eventName === "Committed").map((e) => e.args)).toEqual([0, 1, 2].map((i) => ({ jobId, provider: m.providers[i].address })));
    expect((await book(m, jobId)).map((r) => r[2])).toEqual([0, 1, 2].map((i) => m.commitmentFor(jobId, i)));
    const now = BigInt(await m.networkHelpers.time.latest());
    expect(events[5].args.revealDeadline).toBe(now + 3_600n);
    const job = await m.market.read.getJob([jobId]);
    expect([job.state, job.commits, job.reveals]).toEqual([State.Revealing, 3, 0]);
    await m.reveal(jobId, 0);
    await m.reveal(jobId, 2);
    const settled = await eventsOf(m, await m.reveal(jobId, 1));
    expect(settled.filter((e) => e.eventName === "ReplicaSettled").map((e) => e.args.outcome)).toEqual([Outcome.Agreed, Outcome.Agreed, Outcome.Agreed]);
    expect(settled.at(-1)!.args).toMatchObject({ state: State.Succeeded, resultDigest: cidOf("result").digest });
  });

  it("takes 2k + 1 transactions and less gas than bid + commit", async () => {
    const { m } = ctx;
    const gas = async (fast: boolean) => {
      const jobId = await m.post({ replicas: 3, quorum: 2 });
      let sum = 0n;
      for (let i = 0; i < 3; i++) sum += await m.gasOf(fast ? await m.bidAndCommit(jobId, i, m.unit) : await m.bid(jobId, i, m.unit));
      if (!fast) for (let i = 0; i < 3; i++) sum += await m.gasOf(await m.commit(jobId, i));
      for (let i = 0; i < 3; i++) sum += await m.gasOf(await m.reveal(jobId, i));
      expect((await m.market.read.getJob([jobId])).state).toBe(State.Succeeded);
      return sum;
    };
    await gas(true); // the first job allocates the record; compare two jobs that reuse it
    const fast = await gas(true);
    const twoPhase = await gas(false);
    // Each commit transaction folded into a bid saves at least its 21,000 intrinsic gas.
    expect(twoPhase - fast).toBeGreaterThan(3n * 21_000n);
  });

  it("mixes committed and plain bids: the award counts the commitments, the rest commit as before", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2 });
    await m.bidAndCommit(jobId, 0, m.unit);
    await m.bid(jobId, 1, m.unit);
    const hash = await m.bidAndCommit(jobId, 2, m.unit);
    const events = await eventsOf(m, hash);
    expect(events.map((e) => e.eventName)).toEqual(["BidPlaced", "JobAwarded", "Committed", "Committed"]);
    expect(events.slice(2).map((e) => e.args.provider)).toEqual([m.providers[0].address, m.providers[2].address]);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Committing);
    expect(await revertOf(m.commit(jobId, 0))).toEqual({ name: "AlreadyCommitted", args: [jobId, m.providers[0].address] });
    expect(await revertOf(m.reveal(jobId, 0))).toEqual({ name: "WrongJobState", args: [jobId, State.Committing, State.Revealing] });
    const last = await eventsOf(m, await m.commit(jobId, 1));
    expect(last.map((e) => e.eventName)).toEqual(["Committed", "RevealOpened"]);
    for (const i of [0, 1, 2]) await m.reveal(jobId, i);
    expect((await m.market.read.getJob([jobId]).catch(() => ({ state: State.Succeeded }))).state).toBe(State.Succeeded);
  });

  it("awards plain bids as before: no Committed at the award, and a zero commitment is a plain bid", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 2, quorum: 2 });
    await m.bid(jobId, 0, m.unit);
    const hash = await m.market.write.bidAndCommit([jobId, m.unit, ZERO], { account: m.providers[1] });
    expect((await eventsOf(m, hash)).map((e) => e.eventName)).toEqual(["BidPlaced", "JobAwarded"]);
    const job = await m.market.read.getJob([jobId]);
    expect([job.state, job.commits]).toEqual([State.Committing, 0]);
    expect(await book(m, jobId)).toEqual([[m.providers[0].address, false, ZERO], [m.providers[1].address, false, ZERO]]);
  });

  it("moves each drawn bid's commitment with it to its replica slot, and drops the others' with their collateral", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    await m.bid(jobId, 0, 9n * m.unit); // plain
    await m.bidAndCommit(jobId, 1, 7n * m.unit);
    await m.bidAndCommit(jobId, 2, 8n * m.unit);
    await m.bid(jobId, 3, 6n * m.unit); // plain
    await m.bidAndCommit(jobId, 4, 5n * m.unit);
    expect((await m.market.read.getJob([jobId])).commits).toBe(3);
    await m.networkHelpers.time.increase(600);
    const awarded = await eventsOf(m, await m.market.write.award([jobId]));
    const drawn = (await m.market.read.getReplicas([jobId])).map((r) => m.providers.findIndex((p) => p.address === r.provider));
    // Whichever three the draw picked, each sits in a replica slot with its own commitment (or none).
    expect(await book(m, jobId)).toEqual(drawn.map((i) => [m.providers[i]!.address, [1, 2, 4].includes(i), [1, 2, 4].includes(i) ? m.commitmentFor(jobId, i) : ZERO]));
    const committedDrawn = drawn.filter((i) => [1, 2, 4].includes(i));
    expect(awarded.filter((e) => e.eventName === "Committed").map((e) => e.args.provider)).toEqual(committedDrawn.map((i) => m.providers[i]!.address));
    expect(awarded.filter((e) => e.eventName === "BidDisplaced")).toHaveLength(2);
    for (const i of drawn.filter((i) => ![1, 2, 4].includes(i))) await m.commit(jobId, i);
    for (const i of drawn) await m.reveal(jobId, i);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Succeeded);
    for (const i of [0, 1, 2, 3, 4]) expect((await m.market.read.getProvider([m.providers[i]!.address])).locked).toBe(0n);
  });

  it("binds a carried commitment to its bidder: a copy in another bid cannot be revealed", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 2, quorum: 2 });
    await m.bidAndCommit(jobId, 0, m.unit, "A");
    const copied = m.commitmentFor(jobId, 0, "A");
    await m.market.write.bidAndCommit([jobId, m.unit, copied], { account: m.providers[1] });
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Revealing);
    // Provider 1 replays provider 0's reveal (same CID and salt): the hash binds provider 0's address.
    const replay = m.market.write.reveal([jobId, cidOf("A").cid, saltOf(`${jobId}:0`), cidOf("x", true).cid], { account: m.providers[1] });
    const err = await revertOf(replay);
    expect(err.name).toBe("CommitmentMismatch");
    expect(err.args.slice(0, 3)).toEqual([jobId, m.providers[1].address, copied]);
    await m.reveal(jobId, 0, "A");
    await m.networkHelpers.time.increase(3_600);
    const outcomes = (await eventsOf(m, await m.market.write.finalize([jobId]))).filter((e) => e.eventName === "ReplicaSettled").map((e) => e.args.outcome);
    expect(outcomes).toEqual([Outcome.Unresolved, Outcome.MissedReveal]);
  });

  it("slashes a pre-committed winner that never reveals, and pays the quorum", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2 });
    for (const i of [0, 1, 2]) await m.bidAndCommit(jobId, i, 5n * m.unit);
    const before = await m.market.read.getProvider([m.providers[1].address]);
    await m.reveal(jobId, 0);
    await m.reveal(jobId, 2);
    await m.networkHelpers.time.increase(3_600);
    const events = await eventsOf(m, await m.market.write.finalize([jobId]));
    expect(events.filter((e) => e.eventName === "ReplicaSettled").map((e) => [e.args.outcome, e.args.slashed])).toEqual([
      [Outcome.Agreed, 0n],
      [Outcome.MissedReveal, 10n * m.unit], // the job's collateral (max price 10), not its bid of 5
      [Outcome.Agreed, 0n],
    ]);
    const after = await m.market.read.getProvider([m.providers[1].address]);
    expect([before.stake - after.stake, after.locked, after.missed - before.missed]).toEqual([10n * m.unit, 0n, 1]);
  });

  it("opens the reveal phase at once when a deadline award finds every winner committed", async () => {
    const { m } = ctx;
    // Bid window: `award` after the deadline.
    const windowed = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    for (const i of [0, 1, 2]) await m.bidAndCommit(windowed, i, m.unit);
    expect((await m.market.read.getJob([windowed])).state).toBe(State.Open);
    await m.networkHelpers.time.increase(600);
    expect((await eventsOf(m, await m.market.write.award([windowed]))).map((e) => e.eventName)).toEqual(["JobAwarded", "Committed", "Committed", "Committed", "RevealOpened"]);
    // Fill timeout: two of three bids, both committed, are awarded by `claim` and reveal at once.
    const unfilled = await m.post({ replicas: 3, quorum: 2 });
    await m.bidAndCommit(unfilled, 3, m.unit);
    await m.bidAndCommit(unfilled, 4, m.unit);
    await m.networkHelpers.time.increase(1_800);
    await m.market.write.claim([unfilled]);
    const job = await m.market.read.getJob([unfilled]);
    expect([job.state, job.bids, job.commits]).toEqual([State.Revealing, 2, 2]);
    await m.reveal(unfilled, 3);
    await m.reveal(unfilled, 4);
    expect((await m.market.read.getJob([unfilled]).catch(() => ({ state: State.Succeeded }))).state).toBe(State.Succeeded);
  });

  it("leaves a partly pre-committed job to the commit deadline: enough commits reveal, too few fail", async () => {
    const { m } = ctx;
    const enough = await m.post({ replicas: 3, quorum: 2 });
    await m.bidAndCommit(enough, 0, m.unit);
    await m.bidAndCommit(enough, 1, m.unit);
    await m.bid(enough, 2, m.unit);
    await m.networkHelpers.time.increase(3_600);
    await m.reveal(enough, 0); // opens the reveal phase lazily at the commit deadline
    await m.reveal(enough, 1); // the last committer: settles
    const outcomes = async (hash: `0x${string}`) => (await eventsOf(m, hash)).filter((e) => e.eventName === "ReplicaSettled").map((e) => e.args.outcome);
    const few = await m.post({ replicas: 3, quorum: 2 });
    await m.bidAndCommit(few, 3, m.unit);
    await m.bid(few, 4, m.unit);
    await m.bid(few, 5, m.unit);
    await m.networkHelpers.time.increase(3_600);
    expect(await outcomes(await m.market.write.claim([few]))).toEqual([Outcome.Unresolved, Outcome.MissedCommit, Outcome.MissedCommit]);
    for (const i of [0, 1, 2, 3, 4, 5]) expect((await m.market.read.getProvider([m.providers[i].address])).locked).toBe(0n);
  });

  it("unlocks committed bids of a cancelled or expired job and refuses bidAndCommit after the award", async () => {
    const { m } = ctx;
    const cancelled = await m.post({ replicas: 3, quorum: 2 });
    await m.bidAndCommit(cancelled, 0, m.unit);
    await m.market.write.cancel([cancelled], { account: m.requesters[0] });
    const expired = await m.post({ replicas: 3, quorum: 2 });
    await m.bidAndCommit(expired, 1, m.unit);
    await m.networkHelpers.time.increase(1_800);
    const events = await eventsOf(m, await m.market.write.claim([expired]));
    expect(events.map((e) => e.eventName)).toEqual(["JobSettled"]);
    expect(events[0].args.state).toBe(State.Expired);
    for (const i of [0, 1]) expect((await m.market.read.getProvider([m.providers[i].address])).locked).toBe(0n);
    const jobId = await m.post({ replicas: 1, quorum: 1 });
    await m.bid(jobId, 2, m.unit);
    expect(await revertOf(m.bidAndCommit(jobId, 3, m.unit))).toEqual({ name: "WrongJobState", args: [jobId, State.Committing, State.Open] });
  });
});

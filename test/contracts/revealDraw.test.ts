// The award riding in a reveal, and reveals that agree with the first (issue #13's gas target;
// docs/PROTOCOL.md, "Selection" and "Job state machine"): when every entry of a closed pool committed
// with its bid, the first reveal draws the replicas itself, so no separate award transaction is
// needed; and a first round's reveal matching the first revealer's digest is kept as one bit.
import { describe, expect, it } from "vitest";
import { keccak256, toHex, type Hex } from "viem";
import { drawIndices, drawSeed } from "../../client/src/chain/draw.ts";
import { revealedCids } from "../../client/src/chain/events.ts";
import { cidOf, eventsOf, Outcome, revertOf, State, type Deployed } from "./market.ts";
import { useMarket } from "./setup.ts";

const POOL_WINDOW = 30;
const SEED_DELAY = 12;

/** A k = 3 award-on-fill job with providers 0..5 in its pool (each committed to `result(i)` unless `plain` holds i). */
async function pooledJob(m: Deployed, opts: { plain?: number[]; result?: (i: number) => string } = {}) {
  const jobId = await m.post({ replicas: 3, quorum: 2 });
  for (let i = 0; i < 6; i++) {
    if (opts.plain?.includes(i)) await m.bid(jobId, i, m.unit);
    else await m.bidAndCommit(jobId, i, m.unit, opts.result?.(i) ?? "result");
  }
  return jobId;
}

/** Sets the next block's randomness so its draw leaves `out` out (or takes `inside` in); returns the providers drawn. */
async function steerDraw(m: Deployed, jobId: bigint, want: (drawn: number[]) => boolean, label: string): Promise<number[]> {
  const pool = await m.market.read.getReplicas([jobId]);
  const parent = await m.publicClient.getBlock();
  for (let n = 0; ; n++) {
    const randao = BigInt(keccak256(toHex(`${label} ${n}`)));
    const drawn = drawIndices(drawSeed(randao, parent.hash, jobId, pool), pool.map((e) => e.weight), 3).map((j) => m.providers.findIndex((p) => p.address === pool[j]!.provider));
    if (!want(drawn)) continue;
    await m.networkHelpers.setPrevRandao(randao);
    return drawn;
  }
}

const names = (events: Array<{ eventName: string }>) => events.map((e) => e.eventName);

describe("JobMarket: the first reveal draws a fully committed pool", () => {
  const ctx = useMarket({ providers: 8, poolWindow: POOL_WINDOW, seedDelay: SEED_DELAY });

  it("draws, opens the reveal phase and reveals in one transaction sent by a drawn entry, and the job settles without any award", async () => {
    const { m } = ctx;
    const jobId = await pooledJob(m);
    const at = (await m.market.read.getJob([jobId])).deadline;
    await m.networkHelpers.time.increaseTo(at - 1n);
    const drawn = await steerDraw(m, jobId, () => true, "drawn sender");
    const first = drawn[1]!;
    const events = await eventsOf(m, await m.reveal(jobId, first));
    expect(names(events)).toEqual([
      "ReplicasDrawn", "BidDisplaced", "BidDisplaced", "BidDisplaced", "JobAwarded", "Committed", "Committed", "Committed", "RevealOpened", "Revealed",
    ]);
    // The reveal logs each CID as its digest and codec (raw result, dag-pb sealed result, as
    // market.ts reveals them), and the client's reader puts the CIDs back from them.
    const revealed = events.at(-1)!.args as { provider: string; resultDigest: Hex; sealedResultDigest: Hex; codecs: number };
    expect(revealed).toMatchObject({ provider: m.providers[first]!.address, resultDigest: cidOf("result").digest, sealedResultDigest: cidOf(`sealed:result:${first}`, true).digest, codecs: 0x5570 });
    expect(revealedCids(revealed)).toEqual({ resultCid: cidOf("result").cid, sealedResultCid: cidOf(`sealed:result:${first}`, true).cid });
    const book = await m.market.read.getReplicas([jobId]);
    expect(book.map((r) => m.providers.findIndex((p) => p.address === r.provider))).toEqual(drawn);
    expect(book.map((r) => r.revealed)).toEqual(drawn.map((i) => i === first));
    for (const i of [0, 1, 2, 3, 4, 5].filter((i) => !drawn.includes(i))) {
      expect((await m.market.read.getProvider([m.providers[i]!.address])).locked).toBe(0n);
    }
    for (const i of drawn.filter((i) => i !== first)) await m.reveal(jobId, i);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Succeeded);
  });

  it("lets an entry the draw leaves out award the job, reveals nothing for it, and refuses its reveal after that", async () => {
    const { m } = ctx;
    const jobId = await pooledJob(m);
    await m.networkHelpers.time.increaseTo((await m.market.read.getJob([jobId])).deadline - 1n);
    const drawn = await steerDraw(m, jobId, (d) => !d.includes(5), "undrawn sender");
    const events = await eventsOf(m, await m.reveal(jobId, 5));
    expect(names(events)).not.toContain("Revealed");
    expect(names(events)).toContain("RevealOpened");
    const job = await m.market.read.getJob([jobId]);
    expect([job.state, job.reveals, job.commits]).toEqual([State.Revealing, 0, 3]);
    expect((await revertOf(m.reveal(jobId, 5))).name).toBe("NotAReplica");
    for (const i of drawn) await m.reveal(jobId, i);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Succeeded);
  });

  it("refuses a reveal from outside the pool instead of letting it award: only a pool entry's reveal draws", async () => {
    const { m } = ctx;
    const jobId = await pooledJob(m);
    await m.networkHelpers.time.increaseTo((await m.market.read.getJob([jobId])).deadline);
    expect((await revertOf(m.reveal(jobId, 6))).name).toBe("NotAReplica");
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Open);
  });

  it("refuses to draw by reveal before the pool's close plus the seed delay, as award does", async () => {
    const { m } = ctx;
    const jobId = await pooledJob(m);
    const at = (await m.market.read.getJob([jobId])).deadline;
    await m.networkHelpers.time.increaseTo(at - BigInt(SEED_DELAY) - 1n);
    const early = await revertOf(m.reveal(jobId, 0));
    expect([early.name, early.args[1]]).toEqual(["DeadlineNotReached", at]);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Open);
  });

  it("refuses to draw by reveal when an entry bid without a commitment: a drawn plain bid could still copy the revealed result", async () => {
    const { m } = ctx;
    const jobId = await pooledJob(m, { plain: [4] });
    await m.networkHelpers.time.increaseTo((await m.market.read.getJob([jobId])).deadline);
    const refused = await revertOf(m.reveal(jobId, 0));
    expect([refused.name, refused.args[1], refused.args[2]]).toEqual(["WrongJobState", State.Open, State.Revealing]);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Open);
    // award still draws it; the plain bid, drawn here, commits as usual after the award.
    await steerDraw(m, jobId, (d) => d.includes(4), "plain drawn");
    await m.market.write.award([jobId]);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Committing);
    await m.commit(jobId, 4);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Revealing);
  });

  it("refuses to draw by reveal on a pool short of the quorum: the job expires through award or claim, not a reveal", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    await m.bidAndCommit(jobId, 0, m.unit);
    await m.networkHelpers.time.increaseTo((await m.market.read.getJob([jobId])).deadline);
    expect((await revertOf(m.reveal(jobId, 0))).name).toBe("WrongJobState");
    await m.market.write.claim([jobId]);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Expired);
  });
});

describe("JobMarket: reveals that agree with the first revealer", () => {
  const ctx = useMarket({ providers: 8 });

  it("shows every revealed digest, judges a first revealer that lied against the two that agree with each other, and pays them", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2 });
    for (let i = 0; i < 3; i++) await m.bidAndCommit(jobId, i, m.unit, i === 0 ? "wrong" : "right");
    await m.reveal(jobId, 0, "wrong");
    await m.reveal(jobId, 1, "right");
    const before = await m.market.read.getReplicas([jobId]);
    expect(before.map((r) => r.commitmentOrDigest).slice(0, 2)).toEqual([cidOf("wrong").digest, cidOf("right").digest]);
    const events = await eventsOf(m, await m.reveal(jobId, 2, "right"));
    const settled = events.find((e) => e.eventName === "JobSettled")!;
    expect([settled.args.state, settled.args.resultDigest]).toEqual([State.Succeeded, cidOf("right").digest]);
    expect(events.filter((e) => e.eventName === "ReplicaSettled").map((e) => e.args.outcome)).toEqual([Outcome.Dissented, Outcome.Agreed, Outcome.Agreed]);
  });

  it("keeps a reveal that matched the leader as the leader's digest in the views, and in its own slot once the job escalates", async () => {
    const { m } = ctx;
    // Unanimous k = 3 with room for three more: two agree, the third dissents, so the job escalates.
    const jobId = await m.post({ replicas: 3, quorum: 3, maxReplicas: 6 });
    for (let i = 0; i < 3; i++) await m.bidAndCommit(jobId, i, m.unit, i === 2 ? "wrong" : "right");
    await m.reveal(jobId, 0, "right");
    await m.reveal(jobId, 1, "right");
    expect((await m.market.read.getReplicas([jobId])).map((r) => r.commitmentOrDigest).slice(0, 2)).toEqual([cidOf("right").digest, cidOf("right").digest]);
    await m.reveal(jobId, 2, "wrong");
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Open);
    expect((await m.market.read.getReplicas([jobId])).map((r) => r.commitmentOrDigest)).toEqual([cidOf("right").digest, cidOf("right").digest, cidOf("wrong").digest]);
    // The next round: three fresh providers reveal the majority's digest; provider 1, whose first-round
    // reveal was kept as an agreement bit, is judged with it.
    // (No pool window in this market: the round's third bid awards it and, all committed, opens its reveals.)
    for (let i = 3; i < 6; i++) await m.bidAndCommit(jobId, i, m.unit, "right");
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Revealing);
    let last: Awaited<ReturnType<typeof eventsOf>> = [];
    for (let i = 3; i < 6; i++) last = await eventsOf(m, await m.reveal(jobId, i, "right"));
    const settled = last.find((e) => e.eventName === "JobSettled")!;
    expect([settled.args.state, settled.args.resultDigest]).toEqual([State.Succeeded, cidOf("right").digest]);
    const outcomes = Object.fromEntries(last.filter((e) => e.eventName === "ReplicaSettled").map((e) => [m.providers.findIndex((p) => p.address === e.args.provider), e.args.outcome]));
    expect(outcomes).toEqual({ 0: Outcome.Agreed, 1: Outcome.Agreed, 2: Outcome.Dissented, 3: Outcome.Agreed, 4: Outcome.Agreed, 5: Outcome.Agreed });
  });
});

import { describe, expect, it } from "vitest";
import type { Manifest } from "@accord/client/manifest";
import { JobKnowledge } from "./knowledge.ts";
import { poolCloseOf } from "./evaluate.ts";
import type { WaitingJob } from "./waiting.ts";

const ME = "0x00000000000000000000000000000000000000aa" as const;
const TERMS = { requester: ME, maxPrice: 10n, minReputation: 0, bidDeadline: 100, commitWindow: 60, awardOnFill: true };
const waiting = (replicas: number): WaitingJob => ({
  job: { ...TERMS, collateralRatioBps: 0 },
  manifest: {} as Manifest,
  inputs: { moduleBytes: 0, inputBytes: 0 },
  replicas,
  holdsSlot: true,
  reason: { code: "capacity", message: "at capacity", queuedJobs: 1, maxQueuedJobs: 1 },
});

describe("JobKnowledge", () => {
  it("aborts a run before the bid when the job's round is awarded, at once if it already was, and not after an escalation reopened it", () => {
    const k = new JobKnowledge();
    k.onPosted(1n, 3, TERMS);
    const run = k.untilAwarded(1n);
    const other = k.untilAwarded(2n);
    expect(run.signal.aborted).toBe(false);
    k.onAwarded(1n, 3);
    expect(run.signal.aborted).toBe(true);
    expect(other.signal.aborted).toBe(false);
    expect(k.untilAwarded(1n).signal.aborted).toBe(true);
    // The next round takes bids again: a run for it is not aborted by the first round's award.
    k.onEscalated(1n, 2);
    const again = k.untilAwarded(1n);
    expect(again.signal.aborted).toBe(false);
    again.release();
    other.release();
    // A run released before its job settles leaves nothing behind to abort.
    k.onSettled(2n);
    expect(other.signal.aborted).toBe(false);
  });

  it("a settled job is forgotten whole: award, displacement, open reveal, terms, bids, waiting and plaintext", () => {
    const k = new JobKnowledge();
    k.onPosted(1n, 3, TERMS);
    k.onBid(1n);
    k.wait(1n, waiting(3));
    k.holdUnsealed(1n, { plaintext: new Uint8Array([1]), recipientPublicKey: "k" });
    k.onAwarded(1n, 2);
    k.onRevealOpened(1n);
    k.onSettled(1n);
    expect([k.awarded(1n), k.wonByEvents(1n), k.revealIsOpen(1n)]).toEqual([false, false, false]);
    expect([k.postedTerms(1n), k.bidsOn(1n), k.waitingJob(1n), k.unsealedResult(1n), k.replicas.get(1n)]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(k.waitingCount).toBe(0);
  });

  it("only a displacement of this node's bid keeps the award from making it a winner, and drops its plaintext", () => {
    const k = new JobKnowledge();
    k.holdUnsealed(1n, { plaintext: new Uint8Array([1]), recipientPublicKey: "k" });
    k.onDisplaced(1n, false);
    k.onAwarded(1n, 2);
    expect(k.wonByEvents(1n)).toBe(true);
    expect(k.unsealedResult(1n)).toBeDefined();
    k.onDisplaced(1n, true);
    expect(k.wonByEvents(1n)).toBe(false);
    expect(k.awarded(1n)).toBe(true);
    expect(k.unsealedResult(1n)).toBeUndefined();
  });

  it("counts the bids in a job from events, on from a read, and stops counting at the award, which sizes gas by the winners", () => {
    const k = new JobKnowledge();
    k.onPosted(1n, 3);
    expect(k.postedTerms(1n)).toBeUndefined(); // a replayed JobPosted hands no terms
    k.bidsRead(1n, 2);
    k.onBid(1n);
    k.onDisplaced(1n, false);
    k.onBid(1n);
    expect(k.bidsOn(1n)).toBe(3);
    k.onAwarded(1n, 2);
    expect(k.bidsOn(1n)).toBeUndefined();
    expect(k.replicas.get(1n)).toBe(2);
  });

  it("orders the waiting jobs by the bids counted so far (waitingOrder)", () => {
    const k = new JobKnowledge();
    k.wait(1n, waiting(3));
    k.wait(2n, waiting(3));
    k.onBid(2n);
    k.onBid(2n);
    expect(k.waitingInOrder(ME)).toEqual([2n, 1n]);
    k.stopWaiting(2n);
    expect(k.waitingInOrder(ME)).toEqual([1n]);
  });

  it("an escalation reopens the job: no bid is a winner before the round's award, which adds its winners to the earlier replicas", () => {
    const k = new JobKnowledge();
    k.onPosted(1n, 4, TERMS);
    k.onDisplaced(1n, true); // this node's bid was not drawn in the first round
    k.onAwarded(1n, 4);
    k.onRevealOpened(1n);
    k.onEscalated(1n, 2);
    expect([k.awarded(1n), k.wonByEvents(1n), k.revealIsOpen(1n), k.bidsOn(1n)]).toEqual([false, false, false, undefined]);
    // Sized for settlement over all rounds: the four earlier replicas and the two sought.
    expect(k.replicas.get(1n)).toBe(6);
    k.onAwarded(1n, 1); // only one fresh provider came
    expect([k.wonByEvents(1n), k.replicas.get(1n)]).toEqual([true, 5]);
    k.onSettled(1n);
    k.onPosted(1n, 2);
    k.onAwarded(1n, 2); // a later job in the same id's place counts from zero again
    expect(k.replicas.get(1n)).toBe(2);
  });

  it("an escalation of a job never seen posted counts the earlier replicas its log names, so the round's award sizes settlement for all", () => {
    const k = new JobKnowledge();
    k.onEscalated(1n, 2);
    expect(k.replicas.get(1n)).toBe(2); // all the event alone can tell
    k.onEscalatedRead(1n, 4, 2);
    expect(k.replicas.get(1n)).toBe(6);
    k.onAwarded(1n, 1);
    expect(k.replicas.get(1n)).toBe(5);
  });

  it("knows a pool closed full only once the next block is at its close and k bids are in it, and aborts the runs for it then", () => {
    const k = new JobKnowledge();
    k.onPosted(1n, 3, TERMS);
    k.poolClosesAt(1n, 50);
    const run = k.untilAwarded(1n);
    k.onBid(1n);
    k.onBid(1n);
    k.abortClosedPools(50);
    expect([k.poolClosedFull(1n, 50), run.signal.aborted]).toEqual([false, false]); // two of three: a late bid still enters
    k.onBid(1n);
    k.abortClosedPools(49);
    expect([k.poolClosedFull(1n, 49), run.signal.aborted]).toEqual([false, false]); // full, but a bid can still land before the close
    k.onDisplaced(1n, false); // a heavier bid displaced another in a full pool: still three
    k.onBid(1n);
    k.abortClosedPools(50);
    expect([k.poolClosedFull(1n, 50), run.signal.aborted]).toEqual([true, true]);
    // Unknown close or count: never closed (a job read rather than seen posted, an escalation round).
    k.onPosted(2n, 1, TERMS);
    k.onBid(2n);
    expect(k.poolClosedFull(2n, 1_000)).toBe(false);
    k.onEscalated(1n, 2);
    k.poolClosesAt(1n, 60);
    k.onBid(1n);
    k.onBid(1n);
    expect(k.poolClosedFull(1n, 1_000)).toBe(false);
    // The award ends it: the steps then know the job as awarded.
    k.onPosted(3n, 1, TERMS);
    k.poolClosesAt(3n, 10);
    k.onBid(3n);
    k.onAwarded(3n, 1);
    expect(k.poolClosedFull(3n, 1_000)).toBe(false);
  });

  it("finds a posted job's pool close from its fill deadline: the rest of the fill timeout after the window, for award on fill only", () => {
    const market = { fillTimeout: 600, poolWindow: 3 };
    expect(poolCloseOf({ ...TERMS, bidDeadline: 1_597, awardOnFill: true }, market)).toBe(1_000);
    expect(poolCloseOf({ ...TERMS, bidDeadline: 1_030, awardOnFill: false }, market)).toBe(1_030);
    expect(poolCloseOf({ ...TERMS, bidDeadline: 1_003, awardOnFill: true }, { fillTimeout: 2, poolWindow: 3 })).toBe(1_003);
  });
});

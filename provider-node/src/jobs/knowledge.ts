/**
 * What the node learnt about jobs from the market's events (and a few first reads), held in
 * one place: the driver records each event through a named method, the steps ask named
 * questions. Before, five raw sets and maps on the step context were written from the driver
 * and the steps alike, and what "settled" had to forget was spelled out at the call site.
 * Nothing here is journalled: a restart starts empty, and the steps then read the chain.
 */
import type { Address } from "viem";
import { ReplicaCounts } from "../chain/gas.ts";
import { waitingOrder, type WaitingJob } from "./waiting.ts";

/** A job's terms as its JobPosted event gave them. */
export type PostedJob = { requester: Address; maxPrice: bigint; minReputation: number; bidDeadline: number; commitWindow: number; awardOnFill: boolean };

/** A committed bid's plaintext result, sealed only when its reveal is due (see ensureSealed). */
export type UnsealedResult = { plaintext: Uint8Array; recipientPublicKey: string };

export class JobKnowledge {
  /** Each job's replicas (JobPosted) or winners (JobAwarded), which size its calls' gas (chain/gas.ts). */
  readonly replicas = new ReplicaCounts();
  private readonly awardSeen = new Set<bigint>();
  private readonly displaced = new Set<bigint>();
  private readonly revealOpen = new Set<bigint>();
  private readonly posted = new Map<bigint, PostedJob>();
  private readonly bids = new Map<bigint, number>();
  private readonly waiting = new Map<bigint, WaitingJob>();
  private readonly unsealed = new Map<bigint, UnsealedResult>();
  /** Escalated jobs: the replicas of the rounds before the open one, which its award adds to. */
  private readonly earlierReplicas = new Map<bigint, number>();
  /** When a live-posted job's first pool closes, chain time (see poolClosedFull). */
  private readonly poolCloses = new Map<bigint, number>();
  /** Runs before a bid, aborted by the job's award (see untilAwarded). */
  private readonly awardAborts = new Map<bigint, AbortController>();

  // ---- events, recorded by the driver ----

  /** JobPosted. `terms` only for a live event: one replayed while catching up may describe a job that moved on. */
  onPosted(jobId: bigint, replicas: number, terms?: PostedJob): void {
    this.replicas.set(jobId, replicas);
    if (terms) this.posted.set(jobId, terms);
  }

  /** BidPlaced, by anyone. */
  onBid(jobId: bigint): void {
    this.bids.set(jobId, (this.bids.get(jobId) ?? 0) + 1);
  }

  /** BidDisplaced, by anyone; `mine` when the bid was this node's (its result will never be revealed). */
  onDisplaced(jobId: bigint, mine: boolean): void {
    this.bids.set(jobId, Math.max(0, (this.bids.get(jobId) ?? 0) - 1));
    if (!mine) return;
    this.displaced.add(jobId);
    this.unsealed.delete(jobId);
  }

  /**
   * A signal that aborts when the job's open round is awarded: a run before the bid (evaluate.ts)
   * waiting for a sandbox or running is for nothing once the pool is drawn without this node, and in
   * a burst that was a fifth of the runs (bench:realchain, 82 bids of 412 refused WrongJobState).
   * Release it when the run ends.
   */
  untilAwarded(jobId: bigint): { signal: AbortSignal; release: () => void } {
    if (this.awardSeen.has(jobId)) return { signal: AbortSignal.abort(), release: () => {} };
    let controller = this.awardAborts.get(jobId);
    if (!controller) this.awardAborts.set(jobId, (controller = new AbortController()));
    const c = controller;
    return { signal: c.signal, release: () => void (this.awardAborts.get(jobId) === c && this.awardAborts.delete(jobId)) };
  }

  /** JobAwarded: every bid left in the book won; settlement loops over the winners, which may be fewer than asked. */
  onAwarded(jobId: bigint, winners: number): void {
    this.awardAborts.get(jobId)?.abort();
    this.awardAborts.delete(jobId);
    // An escalation round's award names its own winners; settlement judges every round's.
    this.replicas.set(jobId, (this.earlierReplicas.get(jobId) ?? 0) + winners);
    this.awardSeen.add(jobId);
    this.bids.delete(jobId);
    this.poolCloses.delete(jobId);
  }

  /**
   * JobEscalated: the job takes bids again, for `extra` more replicas from providers not yet in it.
   * What the first round's award and reveal taught is forgotten (a bid now is no winner until the
   * round's own award); earlier replicas stay in the replica count, which sizes settlement's gas.
   */
  onEscalated(jobId: bigint, extra: number): void {
    const earlier = this.replicas.get(jobId) ?? 0;
    this.earlierReplicas.set(jobId, earlier);
    this.replicas.set(jobId, earlier + extra);
    this.awardSeen.delete(jobId);
    this.revealOpen.delete(jobId);
    this.displaced.delete(jobId);
    this.bids.delete(jobId);
    this.poolCloses.delete(jobId);
  }

  /**
   * A JobEscalated of a job this node never saw posted, once its log was read (job-log.ts): the
   * replicas of the rounds before, which onEscalated could not know, are counted in.
   */
  onEscalatedRead(jobId: bigint, earlierReplicas: number, extra: number): void {
    this.earlierReplicas.set(jobId, earlierReplicas);
    this.replicas.set(jobId, earlierReplicas + extra);
  }

  /** RevealOpened. */
  onRevealOpened(jobId: bigint): void {
    this.revealOpen.add(jobId);
  }

  /** JobSettled (also cancelled or expired): nothing about the job is worth keeping; a waiting job is evaluated afresh, which reads it and declines. */
  onSettled(jobId: bigint): void {
    this.revealOpen.delete(jobId);
    this.awardSeen.delete(jobId);
    this.displaced.delete(jobId);
    this.unsealed.delete(jobId);
    this.replicas.delete(jobId);
    this.bids.delete(jobId);
    this.waiting.delete(jobId);
    this.posted.delete(jobId);
    this.earlierReplicas.delete(jobId);
    this.poolCloses.delete(jobId);
    this.awardAborts.get(jobId)?.abort();
    this.awardAborts.delete(jobId);
  }

  /**
   * Where the job's first pool closes (chain time), known at its live JobPosted's evaluation. Only
   * then are its bids counted from the post on, which poolClosedFull needs.
   */
  poolClosesAt(jobId: bigint, close: number): void {
    if (this.earlierReplicas.has(jobId)) return;
    this.poolCloses.set(jobId, close);
  }

  /**
   * Aborts the runs before a bid (untilAwarded) of jobs whose pool closed full, a block before
   * their JobAwarded would: called as the chain's clock moves, with ChainClock.nextBlockAtLeast.
   */
  abortClosedPools(nextBlockAt: number): void {
    for (const [jobId, controller] of this.awardAborts) {
      if (!this.poolClosedFull(jobId, nextBlockAt)) continue;
      controller.abort();
      this.awardAborts.delete(jobId);
    }
  }

  // ---- questions the steps ask ----

  /**
   * Whether a bid sent now comes too late: the job's pool closes before the next block (its
   * earliest timestamp is `nextBlockAt`) holding at least its k bids, so the market refuses every
   * later bid (BiddingClosed) and the job is drawn from the pool as it stands. A node that reaches
   * the job after that (busy, or slow to see the post) would fetch and run it for a bid the market
   * refuses; it can know a block before the JobAwarded that untilAwarded waits for. False whenever the count or the close is unknown (a job read rather than seen posted, an
   * escalation round), which only leaves the bid to the market to refuse.
   */
  poolClosedFull(jobId: bigint, nextBlockAt: number): boolean {
    const close = this.poolCloses.get(jobId);
    const k = this.replicas.get(jobId);
    return close !== undefined && k !== undefined && nextBlockAt >= close && (this.bids.get(jobId) ?? 0) >= k;
  }

  /** Whether this node saw the job awarded (to anyone). */
  awarded(jobId: bigint): boolean {
    return this.awardSeen.has(jobId);
  }

  /** The award was seen and this node's bid was never pushed out of the pool: it is a winner, without a read. */
  wonByEvents(jobId: bigint): boolean {
    return this.awardSeen.has(jobId) && !this.displaced.has(jobId);
  }

  /** The chain opened the reveal phase: reveal without reading first. */
  revealIsOpen(jobId: bigint): boolean {
    return this.revealOpen.has(jobId);
  }

  /** The terms a live JobPosted gave, if the job was not evaluated yet. */
  postedTerms(jobId: bigint): PostedJob | undefined {
    return this.posted.get(jobId);
  }

  /** The evaluation is over: the terms are in its decision (or the job was declined). */
  evaluated(jobId: bigint): void {
    this.posted.delete(jobId);
  }

  /** Active bids in the job, any provider's, as counted from events (or as read at the evaluation). */
  bidsOn(jobId: bigint): number | undefined {
    return this.bids.get(jobId);
  }

  /** A read of the job's bids (an evaluation without a live JobPosted), which later events count on from. */
  bidsRead(jobId: bigint, bids: number): void {
    this.bids.set(jobId, bids);
  }

  // ---- jobs waiting for capacity (see waiting.ts) ----

  waitingJob(jobId: bigint): WaitingJob | undefined {
    return this.waiting.get(jobId);
  }

  wait(jobId: bigint, w: WaitingJob): void {
    this.waiting.set(jobId, w);
  }

  stopWaiting(jobId: bigint): void {
    this.waiting.delete(jobId);
  }

  get waitingCount(): number {
    return this.waiting.size;
  }

  /** The waiting jobs, read-only, for the node's statement to requesters. */
  get waitingJobs(): ReadonlyMap<bigint, WaitingJob> {
    return this.waiting;
  }

  /** The waiting jobs in the order a freed slot goes to them (waitingOrder). */
  waitingInOrder(me: Address): bigint[] {
    return waitingOrder(this.waiting, this.bids, me);
  }

  // ---- plaintext results of committed bids, until sealed ----

  holdUnsealed(jobId: bigint, result: UnsealedResult): void {
    this.unsealed.set(jobId, result);
  }

  unsealedResult(jobId: bigint): UnsealedResult | undefined {
    return this.unsealed.get(jobId);
  }

  /** Sealed, or the job ended for us: the plaintext is no longer needed. */
  dropUnsealed(jobId: bigint): void {
    this.unsealed.delete(jobId);
  }
}

/**
 * Jobs the node would bid for but not now: its queue is full, the job would finish too late
 * behind it, or its free stake cannot cover the collateral. Declining them for good (as the
 * node did) left a batch posted at once with 0-2 bids per job: each node bid for the first
 * jobs its queue could take and never looked at the others again. A waiting job stays in the
 * `evaluating` phase and is decided again whenever the node's load changes, until its bid
 * deadline or its award; only then is it declined.
 */
import type { Address } from "viem";
import type { Manifest } from "@accord/client/manifest";
import type { DeclineReason, DeclinesStatement } from "@accord/client/net";
import type { Journal } from "../journal/journal.ts";
import type { BidInputs, BidJob } from "../market/policy.ts";

export type WaitingJob = {
  job: BidJob;
  manifest: Manifest;
  inputs: BidInputs;
  /** Bids the job asks for (k). */
  replicas: number;
  /** A bid holds a queue slot until the commit (the job runs after its award), not just for a run before the bid. */
  holdsSlot: boolean;
  /** Why it waits: the latest retryable decline. */
  reason: DeclineReason;
};

/**
 * The order in which waiting jobs get a slot that frees. It depends on how long a bid holds the
 * slot:
 * - A job bid for before it runs (`holdsSlot`: heavier than bidAndCommitMaxFuel) holds it until
 *   its commit. These come first, closest to their k bids first, then by deadline and id: every
 *   node uses the same order, so nodes converge on the same jobs and fill them. Spread out, a
 *   batch over nodes whose queues are full leaves every job short of k until its fill timeout,
 *   and then expires those below the quorum.
 * - A light job is run before its bid and frees the slot when the run ends, so nothing can be
 *   held hostage; there the cost is bids too many (a run for nothing and a bid the market
 *   refuses in the block that awarded the job). Fewest bids first, then an order of each
 *   node's own (a hash of its address and the job): nodes spread over the batch instead of all
 *   reaching for the job one bid short of its award.
 */
export function waitingOrder(waiting: ReadonlyMap<bigint, WaitingJob>, bids: ReadonlyMap<bigint, number>, me: Address): bigint[] {
  const key = (id: bigint) => {
    const w = waiting.get(id)!;
    const left = w.replicas - (bids.get(id) ?? 0);
    // A full book (its bid window still open) takes a bid only on price: last either way.
    const need = left > 0 ? left : Number.MAX_SAFE_INTEGER;
    return w.holdsSlot
      ? { id, group: 0, first: need, second: w.job.bidDeadline, third: 0 }
      : { id, group: 1, first: left > 0 ? -left : Number.MAX_SAFE_INTEGER, second: spreadHash(me, id), third: 0 };
  };
  return [...waiting.keys()]
    .map(key)
    .sort((a, b) => a.group - b.group || a.first - b.first || a.second - b.second || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((k) => k.id);
}

/** FNV-1a over the address and the id: cheap, stable, and different per node. */
function spreadHash(me: Address, jobId: bigint): number {
  let h = 0x811c9dc5;
  for (const c of `${me.toLowerCase()}:${jobId}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/** Structured reasons of the jobs declined since the start, newest kept; older ones fall back to the journal's words. */
export class DeclineBook {
  private readonly reasons = new Map<bigint, DeclineReason[]>();
  private readonly maxJobs: number;
  constructor(maxJobs = 4096) {
    this.maxJobs = maxJobs;
  }
  set(jobId: bigint, reasons: DeclineReason[]): void {
    this.reasons.delete(jobId);
    this.reasons.set(jobId, reasons);
    if (this.reasons.size > this.maxJobs) this.reasons.delete(this.reasons.keys().next().value!);
  }
  get(jobId: bigint): DeclineReason[] | undefined {
    return this.reasons.get(jobId);
  }
  delete(jobId: bigint): void {
    this.reasons.delete(jobId);
  }
}

/** What the node tells a requester about a job over DECLINES_PROTOCOL. */
export function declinesStatement(jobId: bigint, s: { me: Address; journal: Journal; waiting: ReadonlyMap<bigint, WaitingJob>; book: DeclineBook }): DeclinesStatement {
  const provider = s.me;
  const waiting = s.waiting.get(jobId);
  if (waiting) return { provider, status: "waiting", reasons: [waiting.reason] };
  const rec = s.journal.get(jobId);
  if (!rec) return { provider, status: "unknown", reasons: [] };
  switch (rec.phase) {
    case "evaluating":
      // With a reason while the job's content could not be fetched yet (evaluate.ts tries again).
      return { provider, status: "evaluating", reasons: s.book.get(jobId) ?? [] };
    case "declined":
      return { provider, status: "declined", reasons: s.book.get(jobId) ?? [{ code: "other", message: rec.reason ?? "declined (no reason recorded)" }] };
    default:
      return { provider, status: "bid", reasons: [] };
  }
}

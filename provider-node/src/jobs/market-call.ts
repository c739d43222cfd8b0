/**
 * The job steps' market calls: a call whose refusal comes back as news about the job, and the
 * push past a deadline that the job's bidders take turns at.
 */
import { encodePacked, keccak256, type Address } from "viem";
import type { JobInfo } from "@accord/client/chain";
import type { MarketCall } from "../chain/batcher.ts";
import { TransactionRevertedError } from "../chain/sender.ts";
import type { JobRecord } from "../journal/journal.ts";
import type { StepContext } from "./context.ts";
import { LOG_EVENTS } from "../log-events.ts";

/**
 * Sends a market transaction for a job. Returns the contract's refusal (custom error name)
 * instead of throwing it, since a refusal is usually news about the job ("AlreadyCommitted").
 * A call that was mined and reverted (paid for, unlike a refusal at the estimate) is logged at
 * warn with its label, transaction and decoded reason before the step decides again.
 */
export async function market(
  ctx: StepContext,
  rec: JobRecord,
  functionName: "bid" | "bidAndCommit" | "award" | "commit" | "reveal" | "finalize" | "claim",
  args: readonly unknown[],
  timing: Pick<MarketCall, "at" | "draws"> = {},
): Promise<{ ok: true } | { ok: false; error: string; err: Error }> {
  try {
    const label = timing.draws ? `reveal (drawing the pool) job ${rec.jobId}` : `${functionName} job ${rec.jobId}`;
    const res = await ctx.jobChain.call({ functionName, args, label, replicas: ctx.known.replicas.get(rec.jobId), ...timing });
    if (res.ok) ctx.metrics.txs.inc({ function: functionName });
    // Refused at the simulation: nothing was sent or paid, and the refusal is news for the step.
    else if (!(res.err instanceof TransactionRevertedError)) ctx.metrics.refusals.inc({ function: functionName });
    if (!res.ok && res.err instanceof TransactionRevertedError) {
      const e = res.err;
      // Pushing a job past its deadline races the other replicas (they take turns, see
      // pushPastDeadline, but a slow block can still hold two turns): losing it cost one call
      // inside a batch and is no fault of ours.
      // So is a drawing reveal that found the pool drawn by another entry's, without it, and a bid
      // mined after the bid that filled the job and awarded it.
      const lostRace =
        (PUSHES.has(functionName) && e.reason === "WrongJobState") ||
        (timing.draws === true && (e.reason === "NotAReplica" || e.reason === "WrongJobState")) ||
        (BIDS.has(functionName) && (e.reason === "WrongJobState" || e.reason === "BiddingClosed"));
      (lostRace ? ctx.metrics.racesLost : ctx.metrics.txErrors).inc({ function: functionName });
      (lostRace ? ctx.log.info.bind(ctx.log) : ctx.log.warn.bind(ctx.log))(
        { event: lostRace ? LOG_EVENTS.raceLost : LOG_EVENTS.txReverted, jobId: rec.jobId.toString(), function: functionName, label: e.label, txHash: e.hash, reason: e.reason, gasUsed: e.gasUsed?.toString(), gasLimit: e.gasLimit?.toString() },
        lostRace ? "another party moved the job first" : "transaction reverted; the job re-reads the chain and tries again",
      );
    }
    return res;
  } catch (err) {
    ctx.metrics.txErrors.inc({ function: functionName });
    throw err;
  }
}

const PUSHES: ReadonlySet<string> = new Set(["award", "finalize", "claim"]);
const BIDS: ReadonlySet<string> = new Set(["bid", "bidAndCommit"]);

/**
 * This node's turn to push a job past its deadline: its place among the job's bidders (its
 * replicas once awarded), ordered by a hash of job and address so the gas falls on a
 * different node each job. Every bidder pushing at once sent k calls of which k-1 failed in
 * the block (the first moved the job); one at a time, a node whose turn comes sees the job
 * moved and sends nothing, and a vanished node's turn passes to the next a little later.
 */
async function pushTurn(ctx: StepContext, jobId: bigint): Promise<number> {
  let parties: readonly { provider: Address }[];
  try {
    parties = (await ctx.jobChain.replicas(jobId)) ?? [];
  } catch {
    return 0; // the read failing must not keep the job from moving: push now, as before turns
  }
  return turnAmong(jobId, ctx.me, parties);
}

/** `me`'s place among `parties` in the job's order of turns (parties.length when not among them). */
export function turnAmong(jobId: bigint, me: Address, parties: readonly { provider: Address }[]): number {
  const order = (a: Address) => keccak256(encodePacked(["uint256", "address"], [jobId, a]));
  const sorted = parties.map((p) => p.provider).sort((a, b) => (order(a) < order(b) ? -1 : 1));
  const mine = sorted.findIndex((a) => a.toLowerCase() === me.toLowerCase());
  return mine === -1 ? sorted.length : mine;
}

/** The node pushes a job whose deadline passed, after a grace that lets the interested party do it and in its turn. */
export async function pushPastDeadline(ctx: StepContext, rec: JobRecord, info: JobInfo, fn: "award" | "finalize" | "claim"): Promise<boolean> {
  const grace = Number(info.deadline) + ctx.limits.claimGraceSeconds;
  if (ctx.clock.now() < grace) {
    ctx.wakeAt(rec.jobId, grace);
    return false;
  }
  const due = grace + (await pushTurn(ctx, rec.jobId)) * ctx.limits.pushTurnSeconds;
  if (ctx.clock.now() < due) {
    ctx.wakeAt(rec.jobId, due);
    return false;
  }
  // As of the node's clock: the next block is past the deadline, the last one may not be yet.
  const res = await market(ctx, rec, fn, [rec.jobId], { at: ctx.clock.now() });
  if (res.ok) {
    ctx.metrics.claims.inc();
    ctx.log.info({ jobId: rec.jobId.toString(), fn }, "pushed the job past its deadline");
    return true;
  }
  if (res.error === "DeadlineNotReached") {
    // Our clock ran ahead of the chain's: look again shortly.
    ctx.retryIn(rec.jobId, ctx.limits.stepRetryMs);
    return false;
  }
  return true; // someone else moved it; re-read
}

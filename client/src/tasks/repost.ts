import type { NoBidsDiagnosis } from "../actions/errors.ts";
import { activeBids, type JobHistory } from "../chain/jobHistory.ts";
import { describeNoBids, mayFillLater } from "./diagnose.ts";
import type { TaskRecord } from "./state.ts";

// The re-post policy of a bag of tasks, and the words an attempt's failure is recorded with (the
// state file keeps them and the run's report prints them). Pure: the run decides nothing else.

/** Why an attempt gave no verified result, and whether posting the task again on the same terms may give one. */
export type AttemptFailure = { reason: string; retryable: boolean };

/**
 * A settled job without a result: why, from what the chain's events told of it. An expired job
 * is posted again unless the providers' own reasons (`diagnosis`, asked while it was open or
 * after) say the same terms would expire again; a job that failed or ended without consensus is
 * always worth another post (other providers, other replicas).
 */
export function settledFailure(job: JobHistory, diagnosis?: NoBidsDiagnosis): AttemptFailure {
  const st = job.settlement;
  if (!st) throw new Error(`job ${job.jobId} has not settled`);
  if (st.state === "Expired")
    return {
      reason: `expired with ${activeBids(job).length} of ${job.quorum} needed bid(s): ${diagnosis ? describeNoBids(diagnosis) : "no provider bid"}`,
      retryable: diagnosis ? mayFillLater(diagnosis) : true,
    };
  const details =
    st.state === "NoConsensus"
      ? `the reveals differ (${job.reveals.map((r) => `${r.provider} → ${r.resultCid}`).join("; ")})`
      : st.state === "Failed"
        ? `${job.committed.length} of ${job.winners} winner(s) committed, ${job.quorum} needed`
        : st.state;
  return { reason: `${st.state}: ${details}`, retryable: true };
}

/** The market refused one job of a batch (the others in its transaction stand). */
export const refusedPost = (shortMessage: string): AttemptFailure => ({ reason: `the market refused the post: ${shortMessage}`, retryable: true });

/** A succeeded job whose result could not be fetched from any winner, twice. */
export const unfetchedResult = (err: unknown): AttemptFailure => ({ reason: `its result could not be fetched: ${errorText(err)}`, retryable: true });

/** What follows a failed attempt: the task is posted again, or given up on with the reason the report shows. */
export type AfterFailure = { repost: true } | { repost: false; reason: string };

/**
 * Posts again while attempts remain and the run goes on; otherwise gives up, saying whether
 * attempts ran out or the same terms would meet the same refusals.
 */
export function afterFailure(failure: AttemptFailure, attemptsMade: number, maxAttempts: number, stopping: boolean): AfterFailure {
  if (failure.retryable && attemptsMade < maxAttempts && !stopping) return { repost: true };
  return {
    repost: false,
    reason: failure.retryable ? `${failure.reason} (after ${attemptsMade} attempt(s))` : `${failure.reason} (not posted again: the same terms would meet the same refusals)`,
  };
}

/** Where a task of a resumed run starts, from its record in the state file. */
export type ResumeAction =
  | { action: "done" | "failed" }
  /** Its last attempt is posted, or succeeded and its result not yet handled: follow its job. */
  | { action: "follow"; jobId: bigint; postedBlock: bigint }
  /** Its last attempt failed and it has none left (the run stopped before it gave up). */
  | { action: "give up"; reason: string }
  | { action: "queue" };

export function resumeAction(rec: TaskRecord, maxAttempts: number): ResumeAction {
  if (rec.status === "done" || rec.status === "failed") return { action: rec.status };
  const last = rec.attempts.at(-1);
  if (last && (last.status === "posted" || (last.status === "settled" && last.outcome === "Succeeded")))
    return { action: "follow", jobId: BigInt(last.jobId!), postedBlock: BigInt(last.postedBlock!) };
  if (last && rec.attempts.length >= maxAttempts) return { action: "give up", reason: last.reason ?? "its last attempt ended without a result" };
  return { action: "queue" };
}

/** An error in one line: viem's and ours carry a short message without the details. */
export const errorText = (err: unknown): string => (err as { shortMessage?: string }).shortMessage ?? (err as Error).message;

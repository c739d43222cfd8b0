import { getAddress } from "viem";
import { describe, expect, it } from "vitest";
import type { NoBidsDiagnosis, NoBidsReason } from "../actions/errors.ts";
import type { JobEvent } from "../chain/events.ts";
import type { JobStateName } from "../chain/constants.ts";
import { applyJobEvent, newHistory, type JobHistory } from "../chain/jobHistory.ts";
import { afterFailure, refusedPost, resumeAction, settledFailure, unfetchedResult } from "./repost.ts";
import type { TaskRecord } from "./state.ts";

const A = getAddress("0x00000000000000000000000000000000000000aa");
const B = getAddress("0x00000000000000000000000000000000000000bb");
const C = getAddress("0x00000000000000000000000000000000000000cc");
const RESULT_1 = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";
const RESULT_2 = "bafkreia4g7yqjvsnn2zfwrajd4ajkdxpqmm4fdnyd7ewhfsmj7zpdhyc7q";
let block = 1n;

/** A job of `replicas` and `quorum` folded from its events, as the run's follower folds them. */
function job(replicas: number, quorum: number, events: Array<Record<string, unknown> & { type: JobEvent["type"] }>): JobHistory {
  const where = () => ({ jobId: 7n, blockNumber: block++, transactionHash: `0x${"ab".repeat(32)}` as const, logIndex: 0 });
  const h = newHistory({ ...where(), type: "posted", requester: A, manifestCid: RESULT_1, replicas, quorum, maxPrice: 10n, escrow: 10n * BigInt(replicas), bidDeadline: 100n, commitWindow: 60, revealWindow: 60, minReputation: 0, awardOnFill: true });
  for (const ev of events) applyJobEvent(h, { ...where(), ...ev } as JobEvent);
  return h;
}
const settled = (state: JobStateName) => ({ type: "settled" as const, state, resultDigest: `0x${"00".repeat(32)}`, paid: 0n, fee: 0n, refunded: 0n, slashed: 0n });
const bid = (provider: string) => ({ type: "bid" as const, provider, price: 5n, collateral: 5n });
const diagnosis = (...reasons: NoBidsReason[]): NoBidsDiagnosis => ({ jobId: 7n, registered: 3, eligible: [], reasons });

describe("why a settled attempt gave no result", () => {
  it("names the bids an expired job had and the providers' reasons, and posts it again only when they may change", () => {
    const h = job(3, 2, [bid(A), settled("Expired")]);
    expect(settledFailure(h)).toEqual({ reason: "expired with 1 of 2 needed bid(s): no provider bid", retryable: true });
    const busy = settledFailure(h, diagnosis({ code: "no-capacity", message: "Every eligible provider is busy.", providers: [] }));
    expect(busy).toEqual({ reason: "expired with 1 of 2 needed bid(s): Every eligible provider is busy.", retryable: true });
    const cheap = settledFailure(h, diagnosis({ code: "price-below-ask", message: "Your price is below every ask.", providers: [] }));
    expect(cheap).toEqual({ reason: "expired with 1 of 2 needed bid(s): Your price is below every ask.", retryable: false });
  });

  it("names each reveal of a job without consensus, and the commits of a failed one", () => {
    const split = job(2, 2, [bid(A), bid(B), { type: "awarded", winners: 2, commitDeadline: 200n }, { type: "revealed", provider: A, resultCid: RESULT_1, sealedResultCid: RESULT_1 }, { type: "revealed", provider: B, resultCid: RESULT_2, sealedResultCid: RESULT_2 }, settled("NoConsensus")]);
    expect(settledFailure(split)).toEqual({ reason: `NoConsensus: the reveals differ (${A} → ${RESULT_1}; ${B} → ${RESULT_2})`, retryable: true });
    const failed = job(3, 2, [bid(A), bid(B), bid(C), { type: "awarded", winners: 3, commitDeadline: 200n }, { type: "committed", provider: C }, settled("Failed")]);
    expect(settledFailure(failed)).toEqual({ reason: "Failed: 1 of 3 winner(s) committed, 2 needed", retryable: true });
  });

  it("refuses to word a job that has not settled", () => {
    expect(() => settledFailure(job(1, 1, [bid(A)]))).toThrow(/not settled/);
  });

  it("words a refused post and a result that could not be fetched, both worth another post", () => {
    expect(refusedPost("PriceTooLow")).toEqual({ reason: "the market refused the post: PriceTooLow", retryable: true });
    expect(unfetchedResult(Object.assign(new Error("long"), { shortMessage: "no winner answered" }))).toEqual({ reason: "its result could not be fetched: no winner answered", retryable: true });
    expect(unfetchedResult(new Error("dial timed out")).reason).toBe("its result could not be fetched: dial timed out");
  });
});

describe("the re-post policy", () => {
  const failure = { reason: "Failed: 0 of 1 winner(s) committed, 1 needed", retryable: true };
  it("posts a task again while attempts remain and the run goes on", () => {
    expect(afterFailure(failure, 1, 3, false)).toEqual({ repost: true });
    expect(afterFailure(failure, 2, 3, false)).toEqual({ repost: true });
  });
  it("gives up when attempts ran out or the run is stopping, saying after how many", () => {
    expect(afterFailure(failure, 3, 3, false)).toEqual({ repost: false, reason: `${failure.reason} (after 3 attempt(s))` });
    expect(afterFailure(failure, 1, 3, true)).toEqual({ repost: false, reason: `${failure.reason} (after 1 attempt(s))` });
  });
  it("gives up at once when the same terms would meet the same refusals", () => {
    expect(afterFailure({ reason: "expired", retryable: false }, 1, 3, false)).toEqual({ repost: false, reason: "expired (not posted again: the same terms would meet the same refusals)" });
  });
});

describe("where a resumed task starts", () => {
  const rec = (status: TaskRecord["status"], ...attempts: TaskRecord["attempts"]): TaskRecord => ({ digest: "d", status, attempts });
  it("keeps a task done or failed", () => {
    expect(resumeAction(rec("done", { n: 1, manifestCid: "m1", status: "settled", outcome: "Succeeded" }), 3)).toEqual({ action: "done" });
    expect(resumeAction(rec("failed"), 3)).toEqual({ action: "failed" });
  });
  it("follows a posted job, and a succeeded one whose result was not yet handled", () => {
    expect(resumeAction(rec("active", { n: 1, manifestCid: "m1", status: "posted", jobId: "12", postedBlock: "40" }), 3)).toEqual({ action: "follow", jobId: 12n, postedBlock: 40n });
    expect(resumeAction(rec("active", { n: 3, manifestCid: "m3", status: "settled", outcome: "Succeeded", jobId: "13", postedBlock: "41" }), 3)).toEqual({ action: "follow", jobId: 13n, postedBlock: 41n });
  });
  it("gives up on a task whose last attempt failed with none left, with that attempt's reason", () => {
    expect(resumeAction(rec("active", { n: 1, manifestCid: "m1", status: "settled", outcome: "Expired", reason: "expired with 0 of 1" }), 1)).toEqual({ action: "give up", reason: "expired with 0 of 1" });
    expect(resumeAction(rec("active", { n: 1, manifestCid: "m1", status: "refused" }), 1)).toEqual({ action: "give up", reason: "its last attempt ended without a result" });
  });
  it("queues a task never posted, or with attempts left", () => {
    expect(resumeAction(rec("queued"), 3)).toEqual({ action: "queue" });
    expect(resumeAction(rec("active", { n: 1, manifestCid: "m1", status: "settled", outcome: "NoConsensus" }), 3)).toEqual({ action: "queue" });
  });
});

import type { NoBidsDiagnosis } from "../actions/errors.ts";
import type { DeclineCode } from "../declineReasons.ts";

/**
 * What a provider says that can change by itself: it is busy, short of free stake, gave no known
 * reason, or could not fetch the job's content ("manifest": the spec's manifests were checked
 * before posting, so what is left is a fetch that failed; under load it was seen to time out
 * for a task whose siblings ran, and a module every provider refuses is still tried at most
 * maxAttempts times).
 */
const PASSING_DECLINES = new Set<DeclineCode>(["capacity", "stake", "manifest", "other"]);
/** Why a job got no bids that can change by itself: providers busy, offline or silent. */
const PASSING_REASONS = new Set(["no-capacity", "unreachable", "eligible-but-silent"]);

/**
 * Whether posting a task again with the same terms may find providers: yes when some provider
 * was only busy, offline or silent; no when every one of them refused it for what the task is
 * (its price, windows, limits) or can never bid (no stake, reputation). A post on those terms
 * would expire the same way and lock the escrow again for nothing.
 */
export function mayFillLater(d: NoBidsDiagnosis): boolean {
  if (d.reasons.length === 0) return true;
  return d.reasons.some((r) => PASSING_REASONS.has(r.code) || (r.code === "declined" && (r.declines ?? []).some((x) => PASSING_DECLINES.has(x.code))));
}

/** The diagnosis in one line per reason, for the report and the state file. */
export function describeNoBids(d: NoBidsDiagnosis): string {
  if (d.reasons.length === 0) return "no provider bid, and none said why";
  return d.reasons.map((r) => r.message).join(" ");
}

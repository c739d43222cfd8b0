import type { JobStateName, OutcomeName } from "@/lib/types.ts";

const JOB_TONE: Record<JobStateName, string> = {
  Open: "info",
  Committing: "accent",
  Revealing: "accent",
  Succeeded: "ok",
  NoConsensus: "warn",
  Failed: "bad",
  Cancelled: "neutral",
  Expired: "neutral",
};
const JOB_LABEL: Record<JobStateName, string> = {
  Open: "Open for bids",
  Committing: "Running",
  Revealing: "Revealing",
  Succeeded: "Succeeded",
  NoConsensus: "No consensus",
  Failed: "Failed",
  Cancelled: "Cancelled",
  Expired: "Expired",
};
const OUTCOME_TONE: Record<OutcomeName, string> = { Agreed: "ok", Dissented: "bad", MissedCommit: "bad", MissedReveal: "bad", Unresolved: "neutral" };
const OUTCOME_LABEL: Record<OutcomeName, string> = {
  Agreed: "Agreed",
  Dissented: "Dissented",
  MissedCommit: "Missed commit",
  MissedReveal: "Missed reveal",
  Unresolved: "Unresolved",
};

export function StateBadge({ state }: { state: JobStateName }) {
  return <span className={`badge ${JOB_TONE[state]}`}>{JOB_LABEL[state]}</span>;
}

export function OutcomeBadge({ outcome }: { outcome: OutcomeName | undefined }) {
  if (!outcome) return <span className="badge neutral">Pending</span>;
  return <span className={`badge ${OUTCOME_TONE[outcome]}`}>{OUTCOME_LABEL[outcome]}</span>;
}

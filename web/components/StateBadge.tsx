"use client";
import { programStatusLabel, programStatusText, programSucceeded, useProgramStatuses } from "@/lib/client/program-status.ts";
import type { JobStateName, OutcomeName } from "@/lib/types.ts";

const JOB_TONE: Record<JobStateName, string> = {
  Open: "info",
  Committing: "accent",
  Revealing: "accent",
  // Consensus is not the program's success: the program's own status is shown beside it (JobOutcome).
  Succeeded: "info",
  NoConsensus: "warn",
  Failed: "bad",
  Cancelled: "neutral",
  Expired: "neutral",
};
const JOB_LABEL: Record<JobStateName, string> = {
  Open: "Open for bids",
  Committing: "Running",
  Revealing: "Revealing",
  Succeeded: "Quorum agreed",
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

/**
 * A job's consensus outcome and, once a quorum agreed, what the program itself did: its exit
 * status is inside the sealed result, so it shows once this browser has decrypted it and says
 * "program status sealed" until then.
 */
export function JobOutcome({ jobId, state }: { jobId: string; state: JobStateName }) {
  const statuses = useProgramStatuses();
  if (state !== "Succeeded") return <StateBadge state={state} />;
  const status = statuses[jobId];
  return (
    <span className="badges" data-testid="job-outcome">
      <StateBadge state={state} />{" "}
      {status ? (
        <span className={`badge ${programSucceeded(status) ? "ok" : "bad"}`} title={`The program ${programStatusText(status)}.`} data-testid="program-status">
          {programStatusLabel(status)}
        </span>
      ) : (
        <span className="badge neutral" title="The program's exit status is inside the result, sealed to the requester: decrypt the result on the job's page to read it." data-testid="program-status">
          program status sealed
        </span>
      )}
    </span>
  );
}

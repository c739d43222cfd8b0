/**
 * Where a job stands for this provider. The journal keeps the phase; the chain is asked
 * what happened while the node was away, and the job driver moves the phase forward.
 *
 *   evaluating ─► bidding ─► bid ─► awarded ─► committing ─► committed ─► revealed ─► settled
 *      │        │        │  (salt+result written    │            │
 *      ▼        ▼        ▼   before the commit tx)  ▼            ▼
 *   declined   lost    failed (could not run: no commit; the contract slashes MissedCommit)
 */
export const JOB_PHASES = [
  /** Seen posted; the manifest is being fetched and the policy asked. */
  "evaluating",
  /** Decided to bid; the bid transaction may or may not have landed. */
  "bidding",
  /** Our bid is in the book. */
  "bid",
  /** We won a replica: fetch, run, seal. */
  "awarded",
  /** Salt, result CID and commitment are journalled; the commit transaction may have been sent. */
  "committing",
  "committed",
  "revealed",
  /** Terminal: the job settled; `outcome` says how our replica fared. */
  "settled",
  /** Terminal: not bid for (policy or invalid manifest), with the reason. */
  "declined",
  /** Terminal: bid but not awarded (displaced, expired, cancelled). */
  "lost",
  /** Terminal: awarded but the node could not produce or prove a result. */
  "failed",
] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

export const ACTIVE_PHASES: readonly JobPhase[] = ["evaluating", "bidding", "bid", "awarded", "committing", "committed", "revealed"];
export const TERMINAL_PHASES: readonly JobPhase[] = ["settled", "declined", "lost", "failed"];

/** Phases that hold a slot of the worker pool (won or hoped for, not yet run). */
export const CAPACITY_PHASES: readonly JobPhase[] = ["bidding", "bid", "awarded"];

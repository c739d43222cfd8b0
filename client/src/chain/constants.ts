/** JobState of the contract, by its uint8 value (contracts/types/MarketTypes.sol). */
export const JOB_STATES = [
  "None",
  "Open",
  "Committing",
  "Revealing",
  "Succeeded",
  "NoConsensus",
  "Failed",
  "Cancelled",
  "Expired",
] as const;
export type JobStateName = (typeof JOB_STATES)[number];

/** States a job never leaves. */
export const TERMINAL_STATES: ReadonlySet<JobStateName> = new Set(["Succeeded", "NoConsensus", "Failed", "Cancelled", "Expired"]);

/** ReplicaOutcome of the contract, by its uint8 value. */
export const REPLICA_OUTCOMES = ["Agreed", "Dissented", "MissedCommit", "MissedReveal", "Unresolved"] as const;
export type ReplicaOutcomeName = (typeof REPLICA_OUTCOMES)[number];

/** Blocks per eth_getLogs call: public RPCs commonly refuse ranges past a few thousand. */
export const LOG_RANGE_BLOCKS = 2_000n;
/** How often followers poll for new blocks when not told otherwise. */
export const POLL_INTERVAL_MS = 500;
/** Back-off bounds while the RPC is unreachable: followers wait, they never skip blocks. */
export const RPC_RETRY_MIN_MS = 250;
export const RPC_RETRY_MAX_MS = 10_000;

/** Reputation scores are basis points. */
export const BPS = 10_000;

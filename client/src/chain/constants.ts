// The contract's enums and bounds, generated from its Solidity (scripts/gen-abi.ts).
import type { JobStateName } from "../generated/enums.ts";
export { JOB_STATES, REPLICA_OUTCOMES, type JobStateName, type ReplicaOutcomeName } from "../generated/enums.ts";
export { BPS } from "../generated/limits.ts";

/** States a job never leaves. */
export const TERMINAL_STATES: ReadonlySet<JobStateName> = new Set(["Succeeded", "NoConsensus", "Failed", "Cancelled", "Expired"]);

/** Blocks per eth_getLogs call: public RPCs commonly refuse ranges past a few thousand. */
export const LOG_RANGE_BLOCKS = 2_000n;
/** How often followers poll for new blocks when not told otherwise. */
export const POLL_INTERVAL_MS = 500;
/** Back-off bounds while the RPC is unreachable: followers wait, they never skip blocks. */
export const RPC_RETRY_MIN_MS = 250;
export const RPC_RETRY_MAX_MS = 10_000;

/**
 * What the job steps ask of the market: the job's record, its replicas, and the calls they
 * send. The steps reach the chain through this alone (the node's own record goes through
 * CachedReads), so the step machine can be driven in a unit test by an in-memory market that
 * answers the same questions; everything contract-facing is tested against a real chain.
 */
import { ContractRevertedError, readJob, readReplicas, type JobInfo, type ReplicaInfo } from "@accord/client/chain";
import type { CallOutcome, MarketCall } from "../chain/batcher.ts";
import type { ChainContext } from "../chain/clients.ts";
import type { CachedReads } from "../chain/reads.ts";
import { readJobLog, type JobLog, type LogPosition } from "./job-log.ts";

export interface JobChain {
  /** The job's record, or undefined once its storage was reused (the job ended long ago). */
  job(jobId: bigint): Promise<JobInfo | undefined>;
  /** The job's bids (before the award) or replicas (after), or undefined once its storage was reused. */
  replicas(jobId: bigint): Promise<ReplicaInfo[] | undefined>;
  /** Sends a market call in the node's next batch: done, or the contract's refusal by name. */
  call(call: MarketCall): Promise<CallOutcome>;
  /** The job's post and earlier rounds as its log tells them, read back from `at` (see job-log.ts); undefined if no post is found. */
  log(jobId: bigint, at: LogPosition): Promise<JobLog | undefined>;
}

/** The reads an evaluation makes of the node itself and of the market's parameters. */
export type NodeReads = Pick<CachedReads, "ownRecord" | "collateralRatioBps" | "marketParameters">;

/** The market as the node's RPC and transaction batcher reach it. */
export function marketJobChain(chain: Pick<ChainContext, "client" | "market" | "batcher" | "startBlock">): JobChain {
  return {
    job: (jobId) => unlessReused(readJob(chain.client, chain.market, jobId)),
    replicas: (jobId) => unlessReused(readReplicas(chain.client, chain.market, jobId)),
    call: (call) => chain.batcher.call(call),
    log: (jobId, at) => readJobLog(chain.client, chain.market, jobId, at, chain.startBlock ?? 0n),
  };
}

/**
 * JobNotFound means the record was reused: it holds nothing of ours, and callers finish the
 * job. Thrown, it retried the step forever while the job held a capacity slot (seen with fast
 * k=1 jobs, whose records are reused within seconds).
 */
async function unlessReused<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof ContractRevertedError && err.errorName === "JobNotFound") return undefined;
    throw err;
  }
}

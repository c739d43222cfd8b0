import type { AccordClient } from "../client.ts";
import { readJob, readReplicas, type JobInfo, type ReplicaInfo } from "../chain/market.ts";
import { ContractRevertedError, type ChainRequestError } from "../chain/revert.ts";
import { JobNotFoundError } from "./errors.ts";
import { readJobHistory, type JobHistory } from "../chain/jobHistory.ts";

export type GetJobParameters = { jobId: bigint; signal?: AbortSignal };
export type GetJobReturnType = JobHistory & {
  /** The contract's live record; undefined once the record was reused by a later job. */
  live: JobInfo | undefined;
  /** Bids (before the award) or replicas (after), from the live record. */
  book: ReplicaInfo[] | undefined;
  /** Head block the history was read up to. */
  asOfBlock: bigint;
};
export type GetJobErrorType = JobNotFoundError | ChainRequestError;

/**
 * A job's full story: its events (which outlive its storage record, since a terminal job's
 * record is reused by a later job) and, while the record is still its own, the live view.
 */
export async function getJob(client: AccordClient, parameters: GetJobParameters): Promise<GetJobReturnType> {
  const { jobId, signal } = parameters;
  const market = client.deployment.jobMarket;
  const read = await readJobHistory(client.publicClient, { address: market, jobId, fromBlock: BigInt(client.deployment.startBlock), signal });
  if (!read) throw new JobNotFoundError(jobId, market);
  const { history, toBlock } = read;
  let live: JobInfo | undefined;
  let book: ReplicaInfo[] | undefined;
  try {
    [live, book] = await Promise.all([readJob(client.publicClient, market, jobId), readReplicas(client.publicClient, market, jobId)]);
  } catch (err) {
    if (!(err instanceof ContractRevertedError && err.errorName === "JobNotFound")) throw err;
  }
  // The live record knows lazy transitions no event announced yet; the events know the rest.
  const state = live && !history.settlement ? live.state : history.state;
  return { ...history, state, live, book, asOfBlock: toBlock };
}

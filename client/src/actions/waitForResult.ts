import type { Address } from "viem";
import type { AccordClient, ResultKeyRequiredError } from "../client.ts";
import type { JobStateName } from "../chain/constants.ts";
import { readJob } from "../chain/market.ts";
import { ContractRevertedError, type ChainRequestError } from "../chain/revert.ts";
import type { ResultMismatchError } from "../seal/errors.ts";
import { claim } from "./chain/claim.ts";
import type { JobResult } from "./dryRun.ts";
import { JobNotSucceededError, NoBidsError, TransactionRevertedError, WaitTimeoutError, type ResultUnavailableError } from "./errors.ts";
import { explainNoBids } from "./explainNoBids.ts";
import { fetchConsensusResult, type FetchProgress } from "./internal/fetchResult.ts";
import { activeBids, type JobHistory } from "../chain/jobHistory.ts";
import { watchJob, type WatchJobEvent } from "./watchJob.ts";

/** Errors a claim may meet because someone else moved the job first; the watch goes on. */
const BENIGN_CLAIM_ERRORS = new Set(["DeadlineNotReached", "WrongJobState", "JobTerminal", "TooFewCommits"]);

export type WaitForResultParameters = {
  jobId: bigint;
  /** The block the job was posted in, if known. */
  fromBlock?: bigint;
  /** Call `claim` when a phase deadline passes with the job stuck (default: when the client has an account). */
  autoClaim?: boolean;
  /** Give up after this long (default: never; the signal also stops it). */
  timeoutMs?: number;
  /** Ask the providers that have not bid why, while the job waits for bids (watchJob's `declines`, default true). */
  declines?: boolean;
  /** Each lifecycle event, as watchJob yields it (with the providers' `declines`). */
  onEvent?: (ev: WatchJobEvent) => void;
  /** Each attempt at fetching the sealed result from a provider. */
  onFetch?: (p: FetchProgress) => void;
  /** Per-provider fetch timeout. */
  fetchTimeoutMs?: number;
  signal?: AbortSignal;
};

export type WaitForResultReturnType = JobResult & {
  jobId: bigint;
  state: JobStateName;
  /** The plaintext result's CID: the quorum's consensus. */
  resultCid: string;
  /** The agreeing provider that served it. */
  provider: Address;
  sealedResultCid: string;
  /** Token units paid to providers, refunded and slashed to the requester. */
  paid: bigint;
  refunded: bigint;
  job: JobHistory;
};

export type WaitForResultErrorType =
  | NoBidsError
  | JobNotSucceededError
  | ResultUnavailableError
  | ResultMismatchError
  | ResultKeyRequiredError
  | WaitTimeoutError
  | ChainRequestError;

/**
 * Follows the job to its settlement (claiming it past a deadline if it is stuck), then fetches
 * the sealed result from an agreeing provider (falling back to the others, then to the DHT),
 * decrypts it and checks its CID against the on-chain consensus. A job that ends without a
 * result throws: NoBidsError (with why, as far as the chain and network tell), or
 * JobNotSucceededError.
 */
export async function waitForResult(client: AccordClient, parameters: WaitForResultParameters): Promise<WaitForResultReturnType> {
  const { jobId } = parameters;
  const timeout = parameters.timeoutMs !== undefined ? AbortSignal.timeout(parameters.timeoutMs) : undefined;
  const signals = [parameters.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length ? AbortSignal.any(signals) : undefined;
  const autoClaim = parameters.autoClaim ?? client.account !== undefined;

  let job: JobHistory | undefined;
  try {
    for await (const ev of watchJob(client, { jobId, fromBlock: parameters.fromBlock, declines: parameters.declines, signal })) {
      job = ev.job;
      parameters.onEvent?.(ev);
      if (ev.type === "deadlinePassed" && autoClaim) {
        try {
          await claim(client, { jobId, signal });
        } catch (err) {
          if (err instanceof ContractRevertedError && BENIGN_CLAIM_ERRORS.has(err.errorName)) continue;
          // With several transactions a block, another party's claim (a daemon's) can land in the
          // same block ahead of ours: ours was checked against the state before it and reverts
          // when mined. That is the race lost, not a failure, if the job has moved on since.
          if (err instanceof TransactionRevertedError && (await readJob(client.publicClient, client.market, jobId)).state !== ev.job.state) continue;
          throw err;
        }
      }
    }
  } catch (err) {
    if (timeout?.aborted && !parameters.signal?.aborted) throw new WaitTimeoutError(`job ${jobId} to settle`, parameters.timeoutMs!);
    throw err;
  }
  signal?.throwIfAborted();
  if (!job?.settlement) throw new WaitTimeoutError(`job ${jobId} to settle`, parameters.timeoutMs ?? 0);

  const { state } = job.settlement;
  if (state === "Expired") {
    const diagnosis = await explainNoBids(client, { jobId, signal });
    throw new NoBidsError(jobId, activeBids(job).length, job.quorum, diagnosis);
  }
  if (state !== "Succeeded") {
    const details =
      state === "NoConsensus"
        ? job.reveals.map((r) => `${r.provider} revealed ${r.resultCid}`).join("; ")
        : state === "Failed"
          ? `${job.committed.length} of ${job.winners} winners committed; ${job.quorum} were needed`
          : undefined;
    throw new JobNotSucceededError(jobId, state, details);
  }

  const result = await fetchConsensusResult(client, job, { signal, timeoutMs: parameters.fetchTimeoutMs, onAttempt: parameters.onFetch });
  return { ...result, jobId, state, paid: job.settlement.paid, refunded: job.settlement.refunded + job.settlement.slashed, job };
}

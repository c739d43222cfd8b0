import type { AccordClient } from "../client.ts";
import type { JobStateName } from "../chain/constants.ts";
import { followMarketEvents } from "../chain/events.ts";
import type { ChainRequestError } from "../chain/revert.ts";
import type { JobNotFoundError } from "./errors.ts";
import { toJobEvent, type JobEvent } from "../chain/jobEvents.ts";
import { applyJobEvent, newHistory, type JobHistory } from "../chain/jobHistory.ts";
import { findPosted } from "./internal/jobLogs.ts";

/** How often the chain's clock is read to notice a phase deadline passing. */
export const DEADLINE_CHECK_INTERVAL_MS = 1_000;

/** A phase deadline passed with the job still in that phase: anyone may `claim` it now. */
export type DeadlinePassedEvent = { type: "deadlinePassed"; jobId: bigint; phase: JobStateName; deadline: bigint; chainTime: bigint };

/** Each event carries `job`, the job as all events so far tell it (bids n/k, commits, reveals). */
export type WatchJobEvent = (JobEvent | DeadlinePassedEvent) & { job: JobHistory };

export type WatchJobParameters = {
  jobId: bigint;
  /** Where the job was posted, if known (saves a search for its JobPosted event). */
  fromBlock?: bigint;
  /** Report deadlines passing (default true). */
  deadlines?: boolean;
  signal?: AbortSignal;
  /** Told about each RPC failure; the watch keeps retrying and never skips a block. */
  onRpcError?: (err: Error, retryInMs: number) => void;
};

export type WatchJobReturnType = AsyncGenerator<WatchJobEvent, void, undefined>;
export type WatchJobErrorType = JobNotFoundError | ChainRequestError;

/**
 * The job's lifecycle as an async iterator of typed events, from its posting (past events
 * first, so a late watcher sees the whole story) to its settlement, after which it ends.
 * Built on followMarketEvents: no block is skipped, even across RPC outages. Breaking out of
 * the loop or aborting the signal stops it.
 */
export async function* watchJob(client: AccordClient, parameters: WatchJobParameters): WatchJobReturnType {
  const { jobId, signal } = parameters;
  const posted = await findPosted(client, jobId, { fromBlock: parameters.fromBlock, signal });
  const job = newHistory(posted);
  yield { ...posted, job };
  const stop = new AbortController();
  const linked = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  let lastDeadlineCheck = 0;
  const reported = new Set<string>();
  try {
    for await (const batch of followMarketEvents(client.publicClient, {
      address: client.deployment.jobMarket,
      fromBlock: posted.blockNumber,
      pollIntervalMs: client.pollingIntervalMs,
      signal: linked,
      onRpcError: parameters.onRpcError,
    })) {
      for (const raw of batch.events) {
        const ev = toJobEvent(raw);
        if (!ev || ev.jobId !== jobId || ev.type === "posted") continue;
        applyJobEvent(job, ev);
        yield { ...ev, job };
        if (ev.type === "settled") return;
      }
      if (parameters.deadlines !== false && job.deadline !== undefined && Date.now() - lastDeadlineCheck >= DEADLINE_CHECK_INTERVAL_MS) {
        lastDeadlineCheck = Date.now();
        const chainTime = await chainNow(client);
        const key = `${job.state}:${job.deadline}`;
        if (chainTime !== undefined && chainTime >= job.deadline && !reported.has(key)) {
          reported.add(key);
          yield { type: "deadlinePassed", jobId, phase: job.state, deadline: job.deadline, chainTime, job };
        }
      }
    }
    signal?.throwIfAborted();
  } finally {
    stop.abort();
  }
}

/**
 * The time the next block will carry, as best known: the latest block's timestamp, or the wall
 * clock when that is later (an automining chain makes no blocks while nothing happens).
 */
async function chainNow(client: AccordClient): Promise<bigint | undefined> {
  try {
    const block = await client.publicClient.getBlock({ blockTag: "latest" });
    const wall = BigInt(Math.floor(Date.now() / 1000));
    return block.timestamp > wall ? block.timestamp : wall;
  } catch {
    return undefined;
  }
}

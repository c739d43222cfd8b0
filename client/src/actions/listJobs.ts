import type { Address } from "viem";
import type { AccordClient } from "../client.ts";
import { getMarketEvents, toJobEvent } from "../chain/events.ts";
import type { ChainRequestError } from "../chain/revert.ts";
import { applyJobEvent, newHistory, type JobHistory } from "../chain/jobHistory.ts";

/** Jobs returned when the caller sets no limit. */
export const DEFAULT_LIST_JOBS_LIMIT = 50;

export type ListJobsParameters = {
  /** Only this requester's jobs (default: the client's account; pass null for everyone's). */
  requester?: Address | null;
  /** First block to search (default: the deployment block). */
  fromBlock?: bigint;
  limit?: number;
  signal?: AbortSignal;
};
export type ListJobsReturnType = JobHistory[];
export type ListJobsErrorType = ChainRequestError;

/**
 * Jobs as their events tell them, newest first. History comes from events, not from the
 * contract's records, which later jobs reuse.
 */
export async function listJobs(client: AccordClient, parameters: ListJobsParameters = {}): Promise<ListJobsReturnType> {
  const { signal } = parameters;
  const requester = parameters.requester === undefined ? client.account?.address : parameters.requester ?? undefined;
  const toBlock = await client.publicClient.getBlockNumber({ cacheTime: 0 });
  const posted = await getMarketEvents(client.publicClient, {
    address: client.deployment.jobMarket,
    fromBlock: parameters.fromBlock ?? BigInt(client.deployment.startBlock),
    toBlock,
    signal,
    ...(requester ? { events: ["JobPosted"], args: { requester } } : { events: ["JobPosted"] }),
  });
  const newest = posted.slice(-(parameters.limit ?? DEFAULT_LIST_JOBS_LIMIT));
  if (newest.length === 0) return [];
  const jobs = new Map<bigint, JobHistory>();
  for (const p of newest) {
    const ev = toJobEvent(p);
    if (ev?.type === "posted") jobs.set(ev.jobId, newHistory(ev));
  }
  const events = await getMarketEvents(client.publicClient, { address: client.deployment.jobMarket, fromBlock: newest[0].blockNumber, toBlock, signal });
  for (const raw of events) {
    const ev = toJobEvent(raw);
    if (!ev || ev.type === "posted") continue;
    const job = jobs.get(ev.jobId);
    if (job) applyJobEvent(job, ev);
  }
  return [...jobs.values()].reverse();
}

import type { AccordClient } from "../../client.ts";
import { getMarketEvents } from "../../chain/events.ts";
import { JobNotFoundError } from "../errors.ts";
import { toJobEvent, type JobEvent } from "../../chain/jobEvents.ts";
import { applyJobEvent, newHistory, type JobHistory } from "../../chain/jobHistory.ts";

/** The job's JobPosted event, found by its indexed id (ids are never reissued). */
export async function findPosted(client: AccordClient, jobId: bigint, options: { fromBlock?: bigint; signal?: AbortSignal } = {}) {
  const [ev] = await getMarketEvents(client.publicClient, {
    address: client.deployment.jobMarket,
    fromBlock: options.fromBlock ?? BigInt(client.deployment.startBlock),
    toBlock: await client.publicClient.getBlockNumber({ cacheTime: 0 }),
    events: ["JobPosted"],
    jobId,
    signal: options.signal,
  });
  const posted = ev ? toJobEvent(ev) : undefined;
  if (!posted || posted.type !== "posted") throw new JobNotFoundError(jobId, client.deployment.jobMarket);
  return posted;
}

/** Every event of one job in [fromBlock, toBlock], in chain order. */
export async function jobEvents(client: AccordClient, jobId: bigint, fromBlock: bigint, toBlock: bigint, signal?: AbortSignal): Promise<JobEvent[]> {
  const events = await getMarketEvents(client.publicClient, { address: client.deployment.jobMarket, fromBlock, toBlock, jobId, signal });
  return events.map(toJobEvent).filter((ev) => ev !== undefined);
}

/** A job's whole history up to the head (or `toBlock`), from its events. */
export async function readJobHistory(client: AccordClient, jobId: bigint, options: { fromBlock?: bigint; toBlock?: bigint; signal?: AbortSignal } = {}): Promise<{ history: JobHistory; toBlock: bigint }> {
  const posted = await findPosted(client, jobId, options);
  const toBlock = options.toBlock ?? (await client.publicClient.getBlockNumber({ cacheTime: 0 }));
  const history = newHistory(posted);
  for (const ev of await jobEvents(client, jobId, posted.blockNumber, toBlock, options.signal)) if (ev.type !== "posted") applyJobEvent(history, ev);
  return { history, toBlock };
}

import { numberToHex, pad, parseEventLogs, type Log } from "viem";
import type { AccordClient } from "../../client.ts";
import { LOG_RANGE_BLOCKS } from "../../chain/constants.ts";
import { explainChainError } from "../../chain/revert.ts";
import { jobMarketAbi } from "../../generated/abi.ts";
import { JobNotFoundError } from "../errors.ts";
import { getContractEventsChunked } from "./logs.ts";
import { applyJobEvent, newHistory, toJobEvent, type JobEvent, type JobHistory } from "./jobEvents.ts";

/** The job's JobPosted event, found by its indexed id (ids are never reissued). */
export async function findPosted(client: AccordClient, jobId: bigint, options: { fromBlock?: bigint; signal?: AbortSignal } = {}) {
  const [ev] = await getContractEventsChunked(client.publicClient, client.deployment, {
    eventName: "JobPosted",
    args: { jobId },
    fromBlock: options.fromBlock,
    signal: options.signal,
  });
  const posted = ev ? toJobEvent(ev) : undefined;
  if (!posted || posted.type !== "posted") throw new JobNotFoundError(jobId, client.deployment.jobMarket);
  return posted;
}

/**
 * Every event of one job in [fromBlock, toBlock], filtered on the node by the job id topic
 * (every job event indexes jobId first), in chain order.
 */
export async function jobEvents(client: AccordClient, jobId: bigint, fromBlock: bigint, toBlock: bigint, signal?: AbortSignal): Promise<JobEvent[]> {
  const topic = pad(numberToHex(jobId), { size: 32 });
  const out: JobEvent[] = [];
  for (let start = fromBlock; start <= toBlock; start += LOG_RANGE_BLOCKS) {
    signal?.throwIfAborted();
    const end = start + LOG_RANGE_BLOCKS - 1n < toBlock ? start + LOG_RANGE_BLOCKS - 1n : toBlock;
    let logs: Log[];
    try {
      logs = await client.publicClient.request({
        method: "eth_getLogs",
        params: [{ address: client.deployment.jobMarket, fromBlock: numberToHex(start), toBlock: numberToHex(end), topics: [null, topic] }],
      });
    } catch (err) {
      throw explainChainError(`Reading the events of job ${jobId}`, err);
    }
    for (const log of parseEventLogs({ abi: jobMarketAbi, logs: logs.map(fixLog) })) {
      const ev = toJobEvent(log);
      if (ev && ev.jobId === jobId) out.push(ev);
    }
  }
  return out;
}

/** A raw RPC log has hex block numbers; parseEventLogs keeps what it is given. */
function fixLog(l: any): Log {
  return {
    ...l,
    blockNumber: l.blockNumber == null ? null : BigInt(l.blockNumber),
    logIndex: l.logIndex == null ? null : Number(l.logIndex),
    transactionIndex: l.transactionIndex == null ? null : Number(l.transactionIndex),
  };
}

/** A job's whole history up to the head (or `toBlock`), from its events. */
export async function readJobHistory(client: AccordClient, jobId: bigint, options: { fromBlock?: bigint; toBlock?: bigint; signal?: AbortSignal } = {}): Promise<{ history: JobHistory; toBlock: bigint }> {
  const posted = await findPosted(client, jobId, options);
  const toBlock = options.toBlock ?? (await client.publicClient.getBlockNumber({ cacheTime: 0 }));
  const history = newHistory(posted);
  for (const ev of await jobEvents(client, jobId, posted.blockNumber, toBlock, options.signal)) if (ev.type !== "posted") applyJobEvent(history, ev);
  return { history, toBlock };
}

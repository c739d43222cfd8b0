import type { PublicClient } from "viem";
import { LOG_RANGE_BLOCKS } from "../../chain/constants.ts";
import { explainChainError } from "../../chain/revert.ts";
import type { MarketEvent } from "../../chain/events.ts";
import type { Deployment } from "../../deployments.ts";
import { jobMarketAbi } from "../../generated/abi.ts";

type EventName = MarketEvent["eventName"];

export type ContractEventsParameters<N extends EventName> = {
  eventName: N;
  /** Indexed-argument filter, e.g. `{ jobId }` or `{ requester }`. */
  args?: Record<string, unknown>;
  fromBlock?: bigint;
  toBlock?: bigint;
  signal?: AbortSignal;
};

/**
 * One JobMarket event type over a block range, filtered by its indexed arguments on the node
 * (so reading one job's history does not download every job's), in ranges public RPCs accept.
 */
export async function getContractEventsChunked<N extends EventName>(
  client: PublicClient,
  deployment: Pick<Deployment, "jobMarket" | "startBlock">,
  p: ContractEventsParameters<N>,
): Promise<Extract<MarketEvent, { eventName: N }>[]> {
  const from = p.fromBlock ?? BigInt(deployment.startBlock);
  const to = p.toBlock ?? (await client.getBlockNumber({ cacheTime: 0 }));
  const out: Extract<MarketEvent, { eventName: N }>[] = [];
  for (let start = from; start <= to; start += LOG_RANGE_BLOCKS) {
    p.signal?.throwIfAborted();
    const end = start + LOG_RANGE_BLOCKS - 1n < to ? start + LOG_RANGE_BLOCKS - 1n : to;
    try {
      const logs = await client.getContractEvents({
        address: deployment.jobMarket,
        abi: jobMarketAbi,
        eventName: p.eventName as never,
        args: p.args as never,
        fromBlock: start,
        toBlock: end,
        strict: true,
      });
      out.push(...(logs as unknown as Extract<MarketEvent, { eventName: N }>[]));
    } catch (err) {
      throw explainChainError(`Reading ${p.eventName} events in blocks ${start}..${end}`, err);
    }
  }
  return out;
}

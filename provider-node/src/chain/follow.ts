import { setTimeout as sleep } from "node:timers/promises";
import { decodeEventLog, toEventSelector, type AbiEvent, type Hex, type Log, type PublicClient } from "viem";
import { jobMarketAbi } from "@accord/client/abi";
import { explainChainError, LOG_RANGE_BLOCKS, type FollowMarketEventsParameters, type MarketEvent, type MarketEventBatch, type MarketEventName } from "@accord/client/chain/index.ts";

/**
 * The events a provider acts on. Other providers' bids, commits and reveals (9 of the ~17 events
 * of a 3-replica job) wake nothing (see JobDriver.onEvent), so the node asks the RPC for these
 * alone and decodes them with a selector table: fetching and decoding every market event with
 * viem's parseEventLogs was a visible share of each daemon's CPU.
 */
export const WATCHED_EVENTS: readonly MarketEventName[] = ["JobPosted", "BidDisplaced", "JobAwarded", "RevealOpened", "ReplicaSettled", "JobSettled"];

const EVENTS = new Map<Hex, AbiEvent>(
  jobMarketAbi.filter((x): x is Extract<(typeof jobMarketAbi)[number], { type: "event" }> => x.type === "event" && WATCHED_EVENTS.includes(x.name as MarketEventName)).map((e) => [toEventSelector(e as AbiEvent), e as AbiEvent]),
);
const TOPICS = [[...EVENTS.keys()]] as [Hex[]];

function decode(log: Log): MarketEvent | undefined {
  const abiEvent = EVENTS.get(log.topics[0] as Hex);
  if (!abiEvent) return undefined;
  try {
    const { eventName, args } = decodeEventLog({ abi: [abiEvent], data: log.data, topics: log.topics as [Hex, ...Hex[]] });
    return { ...log, eventName, args } as unknown as MarketEvent;
  } catch {
    return undefined; // not the market's shape (another contract cannot log at this address)
  }
}

/** The watched events in a block range, in chain order. */
async function watchedEvents(client: PublicClient, p: { address: Hex; fromBlock: bigint; toBlock: bigint }): Promise<MarketEvent[]> {
  let logs: Log[];
  try {
    logs = await client.request({
      method: "eth_getLogs",
      params: [{ address: p.address, topics: TOPICS, fromBlock: `0x${p.fromBlock.toString(16)}`, toBlock: `0x${p.toBlock.toString(16)}` }],
    } as never);
  } catch (err) {
    throw explainChainError(`Reading JobMarket events in blocks ${p.fromBlock}..${p.toBlock}`, err);
  }
  const out: MarketEvent[] = [];
  for (const raw of logs) {
    const ev = decode({ ...raw, blockNumber: BigInt(raw.blockNumber as unknown as Hex), logIndex: Number(raw.logIndex as unknown as Hex), transactionIndex: Number(raw.transactionIndex as unknown as Hex) } as Log);
    if (ev) out.push(ev);
  }
  return out;
}

/**
 * followMarketEvents (client/src/chain/events.ts) for the watched events only: every block range
 * exactly once and in order, ranges without events included, riding out RPC outages.
 */
export async function* followWatchedEvents(client: PublicClient, p: FollowMarketEventsParameters & { retryMinMs: number; retryMaxMs: number }): AsyncGenerator<MarketEventBatch> {
  const confirmations = BigInt(p.confirmations ?? 0);
  let next = p.fromBlock;
  let backoff = p.retryMinMs;
  while (!p.signal?.aborted) {
    let batch: MarketEventBatch | undefined;
    try {
      const head = (await client.getBlockNumber({ cacheTime: 0 })) - confirmations;
      if (head >= next) {
        const to = head - next + 1n > LOG_RANGE_BLOCKS ? next + LOG_RANGE_BLOCKS - 1n : head;
        batch = { fromBlock: next, toBlock: to, events: await watchedEvents(client, { address: p.address, fromBlock: next, toBlock: to }) };
      }
      backoff = p.retryMinMs;
    } catch (err) {
      if (p.signal?.aborted) return;
      p.onRpcError?.(err as Error, backoff);
      await sleep(backoff, undefined, { signal: p.signal }).catch(() => {});
      backoff = Math.min(backoff * 2, p.retryMaxMs);
      continue;
    }
    if (batch) {
      yield batch;
      next = batch.toBlock + 1n;
      if (batch.toBlock - batch.fromBlock + 1n === LOG_RANGE_BLOCKS) continue; // still catching up
    }
    await sleep(p.pollIntervalMs ?? 500, undefined, { signal: p.signal }).catch(() => {});
  }
}

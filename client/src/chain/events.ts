import { decodeEventLog, formatLog, toEventSelector, type AbiEvent, type Address, type Hex, type Log, type ParseEventLogsReturnType, type PublicClient, type RpcLog } from "viem";
import { setTimeout as sleep } from "node:timers/promises";
import { jobMarketAbi } from "../generated/abi.ts";
import { LOG_RANGE_BLOCKS, POLL_INTERVAL_MS, RPC_RETRY_MAX_MS, RPC_RETRY_MIN_MS } from "./constants.ts";
import { explainChainError } from "./revert.ts";

/** Any JobMarket event, decoded and typed from the generated ABI. */
export type MarketEvent = ParseEventLogsReturnType<typeof jobMarketAbi>[number];
export type MarketEventName = MarketEvent["eventName"];

// Decoding by a selector table: viem's parseEventLogs hashes every ABI event for every log,
// which was a visible share of a busy provider daemon's CPU.
const EVENT_BY_SELECTOR = new Map<Hex, AbiEvent>(
  jobMarketAbi.filter((x) => x.type === "event").map((e) => [toEventSelector(e as AbiEvent), e as AbiEvent]),
);

function decodeMarketLog(log: Log): MarketEvent | undefined {
  const abiEvent = EVENT_BY_SELECTOR.get(log.topics[0] as Hex);
  if (!abiEvent) return undefined;
  try {
    const { eventName, args } = decodeEventLog({ abi: [abiEvent], data: log.data, topics: log.topics as [Hex, ...Hex[]] });
    return { ...log, eventName, args } as unknown as MarketEvent;
  } catch {
    return undefined; // not the market's shape (another contract cannot log at this address)
  }
}

/** The topic filter asking the RPC for these events only. */
function topicsFor(events: readonly MarketEventName[] | undefined): [Hex[]] | undefined {
  if (!events) return undefined;
  return [[...EVENT_BY_SELECTOR].filter(([, e]) => events.includes(e.name as MarketEventName)).map(([selector]) => selector)];
}

export type GetMarketEventsParameters = {
  address: Address;
  fromBlock: bigint;
  toBlock: bigint;
  /** Only events of this job (every job event has `jobId` as its first indexed argument). */
  jobId?: bigint;
  /** Only these events, filtered by the RPC (all of them when absent). */
  events?: readonly MarketEventName[];
  signal?: AbortSignal;
};

/** JobMarket events in a block range, in chain order, fetched in ranges public RPCs accept. */
export async function getMarketEvents(client: PublicClient, p: GetMarketEventsParameters): Promise<MarketEvent[]> {
  const topics = topicsFor(p.events);
  const out: MarketEvent[] = [];
  for (let from = p.fromBlock; from <= p.toBlock; from += LOG_RANGE_BLOCKS) {
    p.signal?.throwIfAborted();
    const to = from + LOG_RANGE_BLOCKS - 1n < p.toBlock ? from + LOG_RANGE_BLOCKS - 1n : p.toBlock;
    let logs: RpcLog[];
    try {
      logs = await client.request({
        method: "eth_getLogs",
        params: [{ address: p.address, topics, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` }],
      } as never);
    } catch (err) {
      throw explainChainError(`Reading JobMarket events in blocks ${from}..${to}`, err);
    }
    for (const raw of logs) {
      const ev = decodeMarketLog(formatLog(raw));
      if (ev && (p.jobId === undefined || jobIdOf(ev) === p.jobId)) out.push(ev);
    }
  }
  return out;
}

/** The job an event is about, if it is a job event. */
export function jobIdOf(ev: MarketEvent): bigint | undefined {
  const args = ev.args as { jobId?: bigint };
  return args.jobId;
}

export type FollowMarketEventsParameters = {
  address: Address;
  /** First block to read. */
  fromBlock: bigint;
  /** Blocks to stay behind the head, for chains that reorganise (0 on the local chain). */
  confirmations?: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
  /** Told about each RPC failure; the follower keeps retrying with back-off and never skips a block. */
  onRpcError?: (err: Error, retryInMs: number) => void;
  /** Back-off bounds while the RPC fails (RPC_RETRY_MIN_MS / RPC_RETRY_MAX_MS when absent). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Only these events (all of them when absent); ranges without them are still yielded. */
  events?: readonly MarketEventName[];
};

/** A block range and its events; `head` is the chain's head (less confirmations) when the range was read. */
export type MarketEventBatch = { fromBlock: bigint; toBlock: bigint; head: bigint; events: MarketEvent[] };

/**
 * Follows the JobMarket from `fromBlock` for as long as `signal` allows, yielding every block range
 * exactly once and in order (even ranges with no events, so callers can record the last block they
 * processed and resume after a restart). An RPC outage delays it; it never loses events.
 */
export async function* followMarketEvents(client: PublicClient, p: FollowMarketEventsParameters): AsyncGenerator<MarketEventBatch> {
  const poll = p.pollIntervalMs ?? POLL_INTERVAL_MS;
  const confirmations = BigInt(p.confirmations ?? 0);
  let next = p.fromBlock;
  const retryMinMs = p.retryMinMs ?? RPC_RETRY_MIN_MS;
  const retryMaxMs = p.retryMaxMs ?? RPC_RETRY_MAX_MS;
  let backoff = retryMinMs;
  while (!p.signal?.aborted) {
    let batch: MarketEventBatch | undefined;
    try {
      const head = (await client.getBlockNumber({ cacheTime: 0 })) - confirmations;
      if (head >= next) {
        const to = head - next + 1n > LOG_RANGE_BLOCKS ? next + LOG_RANGE_BLOCKS - 1n : head;
        const events = await getMarketEvents(client, { address: p.address, fromBlock: next, toBlock: to, events: p.events, signal: p.signal });
        batch = { fromBlock: next, toBlock: to, head, events };
      }
      backoff = retryMinMs;
    } catch (err) {
      if (p.signal?.aborted) return;
      p.onRpcError?.(err as Error, backoff);
      await sleep(backoff, undefined, { signal: p.signal }).catch(() => {});
      backoff = Math.min(backoff * 2, retryMaxMs);
      continue;
    }
    if (batch) {
      yield batch;
      next = batch.toBlock + 1n;
      if (batch.toBlock - batch.fromBlock + 1n === LOG_RANGE_BLOCKS) continue; // still catching up
    }
    await sleep(poll, undefined, { signal: p.signal }).catch(() => {});
  }
}

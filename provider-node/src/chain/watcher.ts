import { setTimeout as sleep } from "node:timers/promises";
import { followMarketEvents, type MarketEvent, type MarketEventName } from "@accord/client/chain";
import type { Journal } from "../journal/journal.ts";
import type { ProviderLimits } from "../constants.ts";
import type { ChainContext } from "./clients.ts";
import { isTransientRpcError } from "./rpc.ts";

/**
 * The events a provider acts on. Other providers' bids, commits and reveals (9 of the ~17 events
 * of a 3-replica job) wake nothing (see JobDriver.onEvent), so the node asks the RPC for these
 * alone.
 */
export const WATCHED_EVENTS: readonly MarketEventName[] = ["JobPosted", "BidDisplaced", "JobAwarded", "RevealOpened", "ReplicaSettled", "JobSettled", "JobEscalated"];

const LAST_BLOCK_WRITE_INTERVAL_MS = 1_000;
const TIMESTAMP_READ_INTERVAL_MS = 1_000;

export type WatcherOptions = {
  chain: ChainContext;
  journal: Journal;
  limits: ProviderLimits;
  /** Where to start when the journal has no last block. */
  fromBlock: bigint;
  /**
   * Handles one event; must record what matters durably before it returns. `live`: the range
   * holding it reached the chain's head, so the event is news (not catching up after a restart).
   */
  onEvent: (ev: MarketEvent, live: boolean) => void;
  /** After each block range: the last block's number and, when it was read, its timestamp. */
  onBlock: (number: bigint, timestamp: bigint | undefined) => void;
  onRpcError: (err: Error, retryInMs: number) => void;
  signal: AbortSignal;
};

/**
 * Follows the market from the block after the last one the journal says was handled, so a node
 * that was down catches up on everything it missed, in order. The last block is written only
 * after every event of the range was handled: a crash in between replays the range, and the
 * handlers ignore what they have seen (the journal knows each job once).
 */
export async function runWatcher(o: WatcherOptions): Promise<void> {
  const last = o.journal.lastBlock();
  const fromBlock = last === undefined ? o.fromBlock : last + 1n;
  const batches = followMarketEvents(o.chain.client, {
    address: o.chain.market,
    fromBlock,
    confirmations: o.limits.confirmations,
    pollIntervalMs: o.limits.pollIntervalMs,
    signal: o.signal,
    onRpcError: o.onRpcError,
    retryMinMs: o.limits.rpcRetryMinMs,
    retryMaxMs: o.limits.rpcRetryMaxMs,
    events: WATCHED_EVENTS,
  });
  // A replayed range costs only re-reads (the handlers ignore what they have seen), so the last
  // block is written at most once a second, not after every one-transaction block of a busy chain.
  let writtenAtMs = 0;
  let timestampReadAtMs = 0;
  let unwritten: bigint | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const write = () => {
    clearTimeout(timer);
    timer = undefined;
    if (unwritten === undefined) return;
    o.journal.setLastBlock(unwritten);
    unwritten = undefined;
    writtenAtMs = Date.now();
  };
  // The chain's clock matters for deadlines, which pass by the second. On a busy chain with a
  // block per transaction (automine), reading each batch's block was one request per poll; a
  // batch with events within a second of the last reading skips it, and a timer reads the last
  // block once things go quiet (a clock moved by the very last block must still be seen).
  let latest: bigint | undefined;
  let clockTimer: ReturnType<typeof setTimeout> | undefined;
  const readClockLater = (block: bigint) => {
    clearTimeout(clockTimer);
    clockTimer = setTimeout(() => {
      blockTimestamp(o, block)
        .then((timestamp) => {
          if (timestamp === undefined || latest !== block) return;
          timestampReadAtMs = Date.now();
          o.onBlock(block, timestamp);
        })
        .catch((err) => o.onRpcError(err as Error, TIMESTAMP_READ_INTERVAL_MS)); // the next batch reads it again
    }, TIMESTAMP_READ_INTERVAL_MS);
    clockTimer.unref();
  };
  let catchingUp = true;
  try {
    for await (const batch of batches) {
      // The first range after a start holds whatever happened while the node was down.
      const live = !catchingUp && batch.toBlock >= batch.head;
      catchingUp = false;
      for (const ev of batch.events) o.onEvent(ev, live);
      latest = batch.toBlock;
      clearTimeout(clockTimer);
      let timestamp: bigint | undefined;
      if (batch.events.length === 0 || Date.now() - timestampReadAtMs >= TIMESTAMP_READ_INTERVAL_MS) {
        timestamp = await blockTimestamp(o, batch.toBlock);
        if (timestamp === undefined) return;
        timestampReadAtMs = Date.now();
      } else readClockLater(batch.toBlock);
      unwritten = batch.toBlock;
      const wait = writtenAtMs + LAST_BLOCK_WRITE_INTERVAL_MS - Date.now();
      if (wait <= 0) write();
      else timer ??= setTimeout(write, wait);
      o.onBlock(batch.toBlock, timestamp);
    }
  } finally {
    clearTimeout(clockTimer);
    write();
  }
}

async function blockTimestamp(o: WatcherOptions, number: bigint): Promise<bigint | undefined> {
  let backoff = o.limits.rpcRetryMinMs;
  while (!o.signal.aborted) {
    try {
      return (await o.chain.client.getBlock({ blockNumber: number })).timestamp;
    } catch (err) {
      if (!isTransientRpcError(err)) throw err;
      o.onRpcError(err as Error, backoff);
      await sleep(backoff, undefined, { signal: o.signal }).catch(() => {});
      backoff = Math.min(backoff * 2, o.limits.rpcRetryMaxMs);
    }
  }
  return undefined;
}

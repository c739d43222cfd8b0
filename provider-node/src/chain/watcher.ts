import { setTimeout as sleep } from "node:timers/promises";
import { followMarketEvents, type MarketEvent } from "@accord/client/chain/index.ts";
import type { Journal } from "../journal/journal.ts";
import type { ProviderLimits } from "../constants.ts";
import type { ChainContext } from "./clients.ts";
import { isTransientRpcError } from "./rpc.ts";

export type WatcherOptions = {
  chain: ChainContext;
  journal: Journal;
  limits: ProviderLimits;
  /** Where to start when the journal has no last block. */
  fromBlock: bigint;
  /** Handles one event; must record what matters durably before it returns. */
  onEvent: (ev: MarketEvent) => void;
  /** After each block range: the last block's number and timestamp. */
  onBlock: (number: bigint, timestamp: bigint) => void;
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
  });
  for await (const batch of batches) {
    for (const ev of batch.events) o.onEvent(ev);
    const timestamp = await blockTimestamp(o, batch.toBlock);
    if (timestamp === undefined) return;
    o.journal.setLastBlock(batch.toBlock);
    o.onBlock(batch.toBlock, timestamp);
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

import type { Address, Hex, PublicClient } from "viem";
import { getMarketEvents, type MarketEvent } from "./events.ts";
import { dialableAddresses } from "./peerAddresses.ts";

/** A provider as its latest ProviderRegistered or ProviderUpdated event lists it. */
export type RegisteredProvider = { address: Address; peerId: Hex; multiaddrs: readonly string[]; askPrice: bigint; registeredBlock: bigint };

/** Folds a registry event into `providers` and returns the provider it is about; other events change nothing. */
export function applyProviderEvent(providers: Map<Address, RegisteredProvider>, ev: MarketEvent): RegisteredProvider | undefined {
  if (ev.eventName !== "ProviderRegistered" && ev.eventName !== "ProviderUpdated") return undefined;
  const { provider, peerId, multiaddrs, askPrice } = ev.args;
  const known = providers.get(provider);
  const next = { address: provider, peerId, multiaddrs, askPrice, registeredBlock: known?.registeredBlock ?? ev.blockNumber };
  providers.set(provider, next);
  return next;
}

/** Where to dial these providers: each registered address ending in /p2p/<peer id>. */
export const dialableProviders = (providers: Iterable<RegisteredProvider>): string[] => [...providers].flatMap((p) => dialableAddresses(p.peerId, p.multiaddrs));

export type ProviderRegistry = (options?: { signal?: AbortSignal }) => Promise<RegisteredProvider[]>;

/**
 * The market's registered providers, as a function that reads only the blocks its last call
 * did not. The contract keeps no list (nothing in it loops over providers) and never forgets
 * one, so the registry is its ProviderRegistered and ProviderUpdated events, which carry the
 * peer id, addresses and ask price exactly as the provider's record holds them.
 */
export function providerRegistry(client: PublicClient, market: { address: Address; fromBlock: bigint }): ProviderRegistry {
  const providers = new Map<Address, RegisteredProvider>();
  let next = market.fromBlock;
  // Calls take turns, so a later update is never folded before an earlier one.
  let turn: Promise<unknown> = Promise.resolve();
  const read = async (signal?: AbortSignal) => {
    const head = await client.getBlockNumber({ cacheTime: 0 });
    if (head >= next) {
      const events = await getMarketEvents(client, { address: market.address, fromBlock: next, toBlock: head, events: ["ProviderRegistered", "ProviderUpdated"], signal });
      for (const ev of events) applyProviderEvent(providers, ev);
      next = head + 1n;
    }
    return [...providers.values()];
  };
  return ({ signal } = {}) => {
    const result = turn.then(() => read(signal));
    turn = result.catch(() => {});
    return result;
  };
}

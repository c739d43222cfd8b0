import type { Address } from "viem";
import type { AccordClient } from "../client.ts";
import { readParameters, readProvider, type ProviderInfo } from "../chain/market.ts";
import type { ChainRequestError, ContractRevertedError } from "../chain/revert.ts";
import { dialableAddresses, peerIdString } from "../chain/peerAddresses.ts";
import { providerRegistry } from "../chain/providers.ts";

/** Providers read in parallel; bounded so a large registry does not flood the RPC. */
export const PROVIDER_READ_CONCURRENCY = 8;

export type ListProvidersParameters = {
  /** Include providers whose stake is below the market's minimum (they cannot bid). Default false. */
  includeInactive?: boolean;
  signal?: AbortSignal;
};

export type ProviderListing = ProviderInfo & {
  /** libp2p peer id in its string form (undefined if the registered bytes are not a peer id). */
  peerIdText: string | undefined;
  /** Registered addresses, each ending in /p2p/<peer id>. */
  dialable: string[];
  /** Stake at least the market minimum: it may bid. */
  active: boolean;
};

export type ListProvidersReturnType = ProviderListing[];
export type ListProvidersErrorType = ChainRequestError | ContractRevertedError;

/**
 * Every registered provider with its reputation, ask price and stake, best first (higher
 * score, then lower ask). The registry is the ProviderRegistered events; each record is read
 * fresh from the contract.
 */
export async function listProviders(client: AccordClient, parameters: ListProvidersParameters = {}): Promise<ListProvidersReturnType> {
  const { signal } = parameters;
  const registry = providerRegistry(client.publicClient, { address: client.deployment.jobMarket, fromBlock: BigInt(client.deployment.startBlock) });
  const [registered, params] = await Promise.all([
    registry({ signal }),
    readParameters(client.publicClient, client.deployment.jobMarket),
  ]);
  const addresses = registered.map((p) => p.address);
  const out: ProviderListing[] = [];
  for (let i = 0; i < addresses.length; i += PROVIDER_READ_CONCURRENCY) {
    signal?.throwIfAborted();
    const batch = await Promise.all(addresses.slice(i, i + PROVIDER_READ_CONCURRENCY).map((a: Address) => readProvider(client.publicClient, client.deployment.jobMarket, a)));
    for (const p of batch) {
      if (!p.registered) continue;
      const active = p.stake >= params.minStake && p.stake > 0n;
      if (!active && !parameters.includeInactive) continue;
      out.push({ ...p, peerIdText: peerIdString(p.peerId), dialable: dialableAddresses(p.peerId, p.multiaddrs), active });
    }
  }
  return out.sort((a, b) => b.score - a.score || (a.askPrice < b.askPrice ? -1 : a.askPrice > b.askPrice ? 1 : 0));
}

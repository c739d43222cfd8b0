import type { Address, Hex } from "viem";
import { getMarketEvents, readProvider } from "@accord/client/chain/index.ts";
import { dialableAddresses } from "@accord/client/actions/internal/peers.ts";
import type { ChainContext } from "./clients.ts";

/**
 * Registered providers' dialable addresses, the peers a node joins the network through. The
 * registry is the ProviderRegistered events (the contract keeps no list); the scan is
 * incremental, so asking again costs only the new blocks.
 */
export function registeredPeers(chain: ChainContext, fromBlock: bigint) {
  const known = new Set<Address>();
  let next = fromBlock;
  return async (options: { signal?: AbortSignal } = {}): Promise<string[]> => {
    const head = await chain.client.getBlockNumber({ cacheTime: 0 });
    if (head >= next) {
      const events = await getMarketEvents(chain.client, { address: chain.market, fromBlock: next, toBlock: head, signal: options.signal });
      for (const ev of events) if (ev.eventName === "ProviderRegistered") known.add((ev.args as { provider: Address }).provider);
      next = head + 1n;
    }
    const out: string[] = [];
    for (const address of known) {
      if (address.toLowerCase() === chain.account.address.toLowerCase()) continue;
      const info = await readProvider(chain.client, chain.market, address);
      out.push(...dialableAddresses(info.peerId as Hex, info.multiaddrs));
    }
    return out;
  };
}

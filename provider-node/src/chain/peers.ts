import { isAddressEqual } from "viem";
import { dialableProviders, providerRegistry } from "@accord/client/chain";
import type { ChainContext } from "./clients.ts";

/**
 * Registered providers' dialable addresses, other than our own: the peers a node joins the
 * network through. Each call reads only the registry events since the last one.
 */
export function registeredPeers(chain: ChainContext, fromBlock: bigint) {
  const registry = providerRegistry(chain.client, { address: chain.market, fromBlock });
  return async (options: { signal?: AbortSignal } = {}): Promise<string[]> =>
    dialableProviders((await registry(options)).filter((p) => !isAddressEqual(p.address, chain.account.address)));
}

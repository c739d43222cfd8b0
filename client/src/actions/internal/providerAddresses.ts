import type { Address, PublicClient } from "viem";
import type { Deployment } from "../../deployments.ts";
import { getMarketEvents } from "../../chain/events.ts";

/**
 * Every address that ever registered as a provider. The contract keeps no list (nothing in it
 * loops over providers), so the registry is its ProviderRegistered events.
 */
export async function providerAddresses(client: PublicClient, deployment: Deployment, options: { signal?: AbortSignal } = {}): Promise<Address[]> {
  const toBlock = await client.getBlockNumber({ cacheTime: 0 });
  const events = await getMarketEvents(client, { address: deployment.jobMarket, fromBlock: BigInt(deployment.startBlock), toBlock, events: ["ProviderRegistered"], signal: options.signal });
  return [...new Set(events.map((e) => e.args.provider))];
}

import type { Address, PublicClient } from "viem";
import type { Deployment } from "../../deployments.ts";
import { getContractEventsChunked } from "./logs.ts";

/**
 * Every address that ever registered as a provider. The contract keeps no list (nothing in it
 * loops over providers), so the registry is its ProviderRegistered events.
 */
export async function providerAddresses(client: PublicClient, deployment: Deployment, options: { signal?: AbortSignal } = {}): Promise<Address[]> {
  const events = await getContractEventsChunked(client, deployment, { eventName: "ProviderRegistered", signal: options.signal });
  return [...new Set(events.map((e) => e.args.provider).filter((a): a is Address => a !== undefined))];
}

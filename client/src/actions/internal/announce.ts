import type { PublicClient } from "viem";
import type { CID } from "multiformats/cid";
import type { AccordClient } from "../../client.ts";
import type { Deployment } from "../../deployments.ts";
import type { AccordNode } from "../../net/node.ts";
import { peerIdString } from "../../chain/peerAddresses.ts";
import { providerRegistry, type ProviderRegistry } from "../../chain/providers.ts";

/** How long the registered providers' peer ids are trusted before they are read from the chain again. */
export const REGISTERED_PEERS_REFRESH_MS = 30_000;

type Registered = { ids: Promise<Set<string>>; atMs: number };
const registeredByClient = new WeakMap<object, Registered>();
const registryByClient = new WeakMap<object, ProviderRegistry>();

/** The peer ids of every registered provider, read at most once per REGISTERED_PEERS_REFRESH_MS per client. */
function registeredPeerIds(key: object, publicClient: PublicClient, deployment: Deployment, signal?: AbortSignal): Promise<Set<string>> {
  const cached = registeredByClient.get(key);
  if (cached && Date.now() - cached.atMs < REGISTERED_PEERS_REFRESH_MS) return cached.ids;
  let registry = registryByClient.get(key);
  if (!registry) registryByClient.set(key, (registry = providerRegistry(publicClient, { address: deployment.jobMarket, fromBlock: BigInt(deployment.startBlock) })));
  const ids = registry({ signal }).then((providers) => new Set(providers.map((p) => peerIdString(p.peerId)).filter((id) => id !== undefined)));
  registeredByClient.set(key, { ids, atMs: Date.now() });
  // A failed read is not cached: the next post asks again.
  ids.catch(() => registeredByClient.delete(key));
  return ids;
}

/**
 * Whether a job's manifest must be announced in the DHT for every provider to find it.
 * Providers ask the non-provider peers connected to them for a job's content before the DHT
 * (see provider-node/src/work/sources.ts), and the requester's node dials every registered
 * provider when it starts: while it is connected to all of them, each one fetches straight
 * from it and an announcement (a lookup plus a record written by every close peer) is work
 * for the whole swarm that nobody uses. One unconnected provider, or a registry that cannot
 * be read, and the manifest is announced as before.
 */
export async function manifestNeedsAnnouncement(key: object, publicClient: PublicClient, deployment: Deployment, node: Pick<AccordNode, "libp2p">, signal?: AbortSignal): Promise<boolean> {
  let registered: Set<string>;
  try {
    registered = await registeredPeerIds(key, publicClient, deployment, signal);
  } catch {
    return true;
  }
  if (registered.size === 0) return true;
  const connected = new Set(node.libp2p.getConnections().filter((c) => c.status === "open").map((c) => c.remotePeer.toString()));
  for (const id of registered) if (!connected.has(id)) return true;
  return false;
}

/**
 * Announces manifests in the DHT as `announce` says: always, never, or ("auto") only while
 * manifestNeedsAnnouncement. Never waited for and never fails a post: an announcement only
 * helps providers that are not connected to us find the job.
 */
export function announceManifests(client: AccordClient, node: AccordNode, cids: readonly CID[], announce: "auto" | boolean, signal?: AbortSignal): void {
  if (announce === false) return;
  const needed = announce === true ? Promise.resolve(true) : manifestNeedsAnnouncement(client, client.publicClient, client.deployment, node, signal);
  needed.then((yes) => (yes ? Promise.all(cids.map((cid) => node.content.provide(cid, { signal }).catch(() => {}))) : undefined)).catch(() => {});
}

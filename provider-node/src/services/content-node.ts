import { join } from "node:path";
import { createAccordNode, type AccordNode } from "@accord/client/net";
import { providerRegistry } from "@accord/client/chain";
import { NODE_DIR_NAME } from "../constants.ts";
import { relayServe } from "../net/reachability.ts";
import type { ProviderComponents } from "./components.ts";

/** The provider's libp2p/content node, joined to the network through the providers registered on the market. */
export function startContentNode(c: Pick<ProviderComponents, "config" | "limits" | "chain" | "signal">): Promise<AccordNode> {
  const { config, chain } = c;
  return createAccordNode({
    dataDir: join(config.dataDir, NODE_DIR_NAME),
    listen: config.listen,
    announce: config.announce,
    bootstrap: config.bootstrap,
    privateAddresses: config.privateAddresses,
    relay: { serve: relayServe(config.relay), limits: config.relayLimits },
    // Registered providers are the peers the node joins through; their peer ids also tell
    // requesters apart from them (directContentPeers), so the registry is read more often than a node needs.
    providerRegistry: providerRegistry(chain.client, { address: chain.market, fromBlock: chain.startBlock ?? config.fromBlock ?? 0n }),
    registryIntervalMs: c.limits.providerPeersRefreshMs,
    signal: c.signal,
  });
}

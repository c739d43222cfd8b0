import { join } from "node:path";
import type { Logger } from "pino";
import { Gauge, Registry } from "prom-client";
import { createAccordNode, relayUsage, type AccordNode, type Reachability } from "@accord/client/net";
import type { RelayLimits } from "@accord/client/net/relay-limits";
import { startMetricsServer, type HealthReport, type MetricsServer } from "../metrics/server.ts";
import { effectiveRelayLimits, type RelayReport } from "./relay-limits.ts";

/** Where a relay-only node keeps its peer key and peer records, apart from a provider's node/ in the same data folder. */
export const RELAY_NODE_DIR_NAME = "relay-node";

export type RelayNodeConfig = {
  dataDir: string;
  listen: string[];
  announce?: string[];
  bootstrap?: string[];
  privateAddresses?: boolean;
  relayLimits?: Partial<RelayLimits>;
  /** Port of /metrics and /health on 127.0.0.1 (0: any; -1: none). */
  metricsPort: number;
};

export type RelayNode = {
  node: AccordNode;
  peerId: string;
  /** Where nodes behind NAT reach it: what they pass as --bootstrap. */
  multiaddrs: string[];
  limits: RelayLimits;
  metricsUrl?: string;
  health(): HealthReport & { reachability: Reachability; relay: RelayReport };
  stop(): Promise<void>;
};

/**
 * A node that relays for nodes behind NAT and does nothing else: no chain, no key, no jobs,
 * no content of its own. It never takes a reservation itself (a relay nobody can dial is of no
 * use; it says so), joins the DHT through `bootstrap`, and reports its use on /health and
 * /metrics.
 */
export async function startRelayNode(config: RelayNodeConfig, log: Logger, signal?: AbortSignal): Promise<RelayNode> {
  const limits = effectiveRelayLimits(config.relayLimits);
  const node = await createAccordNode({
    dataDir: join(config.dataDir, RELAY_NODE_DIR_NAME),
    listen: config.listen,
    announce: config.announce,
    bootstrap: config.bootstrap,
    privateAddresses: config.privateAddresses,
    relay: { serve: true, client: "never", limits },
    signal,
  });
  let server: MetricsServer | undefined;
  try {
    const health = () => {
      const reachability = node.reachability.get();
      const relay: RelayReport = { limits, ...relayUsage(node.libp2p) };
      return { status: reachability.status === "unreachable" ? ("degraded" as const) : ("ok" as const), peerId: node.peerId.toString(), reachability, relay };
    };
    if (config.metricsPort >= 0) {
      const registry = new Registry();
      const usage = () => relayUsage(node.libp2p) ?? { reservations: 0, relayedConnections: 0 };
      new Gauge({ name: "accord_relay_reservations", help: "Reservations this relay holds for nodes behind NAT", registers: [registry], collect() { this.set(usage().reservations); } });
      new Gauge({ name: "accord_relay_connections", help: "Relayed connections open through this relay", registers: [registry], collect() { this.set(usage().relayedConnections); } });
      new Gauge({ name: "accord_relay_max_reservations", help: "The relay's limit on reservations", registers: [registry] }).set(limits.maxReservations);
      new Gauge({ name: "accord_relay_max_connections", help: "The relay's limit on relayed connections at once", registers: [registry] }).set(limits.maxRelayedConnections);
      server = await startMetricsServer(config.metricsPort, { registry }, health);
    }
    // A relay nobody can dial helps nobody: said once it is known, not fatal (a port may be opened later).
    void node.reachability.settled(signal).then(
      (r) => {
        if (r.status !== "public")
          log.error({ listen: config.listen }, "nobody can dial this relay: it has no address AutoNAT confirmed. Open the port and --announce the public address (on the internet also set privateAddresses false)");
      },
      () => {},
    );
    let stopped: Promise<void> | undefined;
    return {
      node,
      peerId: node.peerId.toString(),
      multiaddrs: node.multiaddrs.map(String),
      limits,
      metricsUrl: server?.url,
      health,
      stop: () => (stopped ??= (async () => {
        await server?.stop();
        await node.stop();
      })()),
    };
  } catch (err) {
    await server?.stop();
    await node.stop();
    throw err;
  }
}

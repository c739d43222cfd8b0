import { circuitRelayServer, RELAY_V2_HOP_CODEC, type CircuitRelayServerComponents, type CircuitRelayService } from "@libp2p/circuit-relay-v2";
import type { Connection, Libp2p } from "@libp2p/interface";
import { RELAY_LIMITS, type RelayLimits, type RelayUsage } from "./relay-limits.ts";

export { RELAY_LIMITS, type RelayLimits, type RelayUsage } from "./relay-limits.ts";

export type RelayOptions = {
  /**
   * Keep reservations on relays when this node is not publicly reachable: "auto" (default:
   * when it finds no address peers can dial directly), "always", or "never" (a node that
   * only dials out, and cannot be reached).
   */
  client?: "auto" | "always" | "never";
  /** Relays to hold a reservation on at once (default 2, so losing one leaves the other). */
  reservations?: number;
  /**
   * Relay for others: "auto" (default: when the node has an address it expects to be public,
   * an announced one or a listen address on a public IP), true, or false.
   */
  serve?: boolean | "auto";
  limits?: Partial<RelayLimits>;
  /** Dialling a relay and getting its reservation (default RELAY_RESERVATION_TIMEOUT_MS). */
  reservationTimeoutMs?: number;
  /** A relayed connection with no stream this long is closed (default RELAYED_CONNECTION_IDLE_MS; 0: never). */
  idleConnectionMs?: number;
};

export const DEFAULT_RELAY_RESERVATIONS = 2;
export const RELAY_RESERVATION_TIMEOUT_MS = 10_000;

/**
 * A relayed connection that carried no stream for this long is closed by either end. Neither
 * libp2p nor yamux (whose keep-alive pings cross the relay) ever ends one, so after a fetch
 * it would hold one of the relay's `maxRelayedConnections` until its time limit (30 minutes),
 * refusing others meanwhile; opening it again costs a relay round trip and a handshake.
 */
export const RELAYED_CONNECTION_IDLE_MS = 30_000;

/** The libp2p relay service with Accord's limits. */
export function relayService(limits: Partial<RelayLimits> = {}): (components: CircuitRelayServerComponents) => CircuitRelayService {
  const l: RelayLimits = { ...RELAY_LIMITS, ...limits };
  const server = circuitRelayServer({
    hopTimeout: l.hopTimeoutMs,
    maxInboundHopStreams: l.maxInboundHopStreams,
    maxOutboundStopStreams: l.maxOutboundStopStreams,
    reservations: {
      maxReservations: l.maxReservations,
      reservationTtl: l.reservationTtlMs,
      applyDefaultLimit: true,
      defaultDataLimit: BigInt(l.maxRelayedBytesPerConnection),
      // libp2p's relay times a connection by this value in ms (its client reads seconds).
      defaultDurationLimit: l.maxRelayedConnectionMs,
    },
  });
  // The relay asks the connection gater before each relayed connection it makes; the total
  // across peers is enforced there, on a gater of its own so the node's other gating is kept.
  return (components) => {
    const gater = components.connectionGater;
    const connectionGater = {
      ...gater,
      denyOutboundRelayedConnection: async (...args: Parameters<NonNullable<typeof gater.denyOutboundRelayedConnection>>) =>
        (await gater.denyOutboundRelayedConnection?.(...args)) === true ||
        // The request being decided holds a hop stream too, so it counts itself.
        openRelayedConnections(components.connectionManager.getConnections()) > l.maxRelayedConnections,
    };
    return server(Object.create(components, { connectionGater: { value: connectionGater } }) as CircuitRelayServerComponents);
  };
}

/**
 * Relayed connections this node carries as a relay: a relayed connection keeps open the hop
 * stream its dialler opened (reservation requests close theirs once answered).
 */
export function openRelayedConnections(connections: readonly Connection[]): number {
  let n = 0;
  for (const c of connections) for (const s of c.streams) if (s.protocol === RELAY_V2_HOP_CODEC && s.direction === "inbound" && s.status === "open") n++;
  return n;
}

/** undefined when the node does not relay. */
export function relayUsage(libp2p: Libp2p): RelayUsage | undefined {
  const relay = (libp2p.services as { relay?: CircuitRelayService }).relay;
  if (!relay) return undefined;
  return { reservations: relay.reservations.size, relayedConnections: openRelayedConnections(libp2p.getConnections()) };
}

/**
 * Closes this node's relayed connections once they have had no stream for `idleMs` (checked
 * every `idleMs / 3`). Returns the function that stops it.
 */
export function closeIdleRelayedConnections(libp2p: Libp2p, idleMs: number): () => void {
  if (idleMs <= 0) return () => {};
  const idleSince = new WeakMap<Connection, number>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const c of libp2p.getConnections()) {
      if (c.limits === undefined || c.status !== "open") continue;
      if (c.streams.length > 0) idleSince.delete(c);
      else if (!idleSince.has(c)) idleSince.set(c, now);
      else if (now - idleSince.get(c)! >= idleMs) void c.close().catch(() => c.abort(new Error("idle relayed connection")));
    }
  }, Math.max(100, Math.floor(idleMs / 3)));
  timer.unref();
  return () => clearInterval(timer);
}

import { circuitRelayServer } from "@libp2p/circuit-relay-v2";

/**
 * What a node that relays for others allows (circuit relay v2). Each is overridable through
 * `createAccordNode({ relay: { limits } })`.
 *
 * libp2p's own defaults (128 KiB and 2 minutes per relayed connection) are made for hole
 * punching only: enough for identify and DCUtR, not for content. Accord moves modules, inputs
 * and sealed results of many MiB between two nodes behind NAT over the relay when no hole can
 * be punched, so the defaults here carry a result as large as a requester fetches whole
 * (MAX_SEALED_RESULT_BYTES, 256 MiB) with room for the module and inputs, and give it time at
 * a slow home uplink. A connection that reaches a limit is reset by the relay; the fetch then
 * goes on from the next peer (or a new relayed connection, with fresh limits).
 */
export const RELAY_LIMITS = {
  /** Nodes holding a reservation on this relay at once; more are refused. */
  maxReservations: 64,
  /** A reservation lasts this long; its holder refreshes it before it runs out. */
  reservationTtlMs: 60 * 60_000,
  /** Bytes one relayed connection may carry, both directions together. */
  maxRelayedBytesPerConnection: 1024 * 1024 * 1024,
  /** A relayed connection is reset after this long. */
  maxRelayedConnectionMs: 30 * 60_000,
  /** Hop requests (reserve or connect) being handled at once, per connection. */
  maxInboundHopStreams: 32,
  /** Relayed connections being opened to reservation holders at once. */
  maxOutboundStopStreams: 300,
  /** A hop request must be answered within this. */
  hopTimeoutMs: 30_000,
};

export type RelayLimits = typeof RELAY_LIMITS;

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
};

export const DEFAULT_RELAY_RESERVATIONS = 2;
export const RELAY_RESERVATION_TIMEOUT_MS = 10_000;

/** The libp2p relay service with Accord's limits. */
export function relayService(limits: Partial<RelayLimits> = {}) {
  const l: RelayLimits = { ...RELAY_LIMITS, ...limits };
  return circuitRelayServer({
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
}

// The relay's limits stand apart from relay.ts (which loads libp2p's relay) so that a
// provider's config can be read and checked without loading the network stack.
import { NET_LIMITS } from "./constants.ts";

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
  /**
   * Relayed connections open through this relay at once, across all peers; one more is
   * refused (the dialler sees PERMISSION_DENIED). libp2p's relay has no such total, only the
   * per-connection counts below, so Accord counts the open ones itself.
   */
  maxRelayedConnections: 128,
  /** Bytes one relayed connection may carry, both directions together. */
  maxRelayedBytesPerConnection: 1024 * 1024 * 1024,
  /** A relayed connection is reset after this long. */
  maxRelayedConnectionMs: 30 * 60_000,
  /**
   * Hop streams open at once on one connection to the relay: reservation requests being
   * answered, and relayed connections that peer opened (each keeps its hop stream open).
   */
  maxInboundHopStreams: 32,
  /** Relayed connections open at once to one reservation holder (each keeps a stop stream open). */
  maxOutboundStopStreams: 300,
  /** A hop request must be answered within this. */
  hopTimeoutMs: 30_000,
};

export type RelayLimits = typeof RELAY_LIMITS;

/** What a relaying node is doing now: reservations it holds for others, relayed connections open. */
export type RelayUsage = { reservations: number; relayedConnections: number };

/**
 * Each reservation holds a connection to the relay open, and a node keeps at most
 * NET_LIMITS.maxConnections: more reservations than that cannot all be held.
 */
export const MAX_RELAY_RESERVATIONS = NET_LIMITS.maxConnections;

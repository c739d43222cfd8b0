/**
 * Limits on what a peer can make this node do. Each is overridable through
 * `createAccordNode({ limits })`; the defaults suit a provider on a public network.
 */
export const DHT_PROTOCOL = "/accord/kad/1.0.0";
/** Our own bitswap id keeps Accord's content exchange apart from the public IPFS swarm. */
export const BITSWAP_PROTOCOL = "/accord/bitswap/1.2.0";

export const DEFAULT_LISTEN_ADDRS = ["/ip4/127.0.0.1/tcp/0"];

export const NET_LIMITS = {
  /** Open connections, inbound and outbound together. */
  maxConnections: 300,
  /**
   * New inbound connections accepted per second from one IP address. libp2p's default (5)
   * starves a devnet where every peer is 127.0.0.1, and many providers share one NAT.
   */
  maxInboundConnectionsPerHostPerSecond: 100,
  /** Inbound connections still in the handshake. */
  maxIncomingPendingConnections: 32,
  /** Dialling one peer, all its addresses. */
  dialTimeoutMs: 10_000,
  /** Noise handshake plus muxer negotiation of an inbound connection. */
  inboundUpgradeTimeoutMs: 10_000,
  /** multistream-select on a new stream. */
  protocolNegotiationTimeoutMs: 5_000,
  /** Concurrent inbound / outbound streams on one connection, all protocols. */
  maxInboundStreamsPerConnection: 256,
  maxOutboundStreamsPerConnection: 256,
  /** A yamux frame; larger writes are split. */
  maxMuxerMessageBytes: 256 * 1024,
  /**
   * Bytes a peer may send on one stream before we grant more (yamux window). A paused
   * reader still receives up to this much, so it must stay below maxStreamReadBufferBytes.
   */
  maxStreamWindowBytes: 4 * 1024 * 1024,
  /** Bytes a stream buffers unread before it is reset. */
  maxStreamReadBufferBytes: 16 * 1024 * 1024,
  /** A stream idle for this long is reset. */
  streamInactivityTimeoutMs: 30_000,
  /** A socket with no traffic for this long is closed (yamux keep-alive pings every 30 s). */
  socketInactivityTimeoutMs: 120_000,
  /**
   * Concurrent ping streams on one connection, each way. libp2p's connection monitor and
   * the DHT's routing-table check both ping; with ping's default of one outbound stream, two
   * pings that overlap (a ping waits behind bulk data on a busy connection) fail, and the
   * monitor takes the failure for a dead peer and drops the connection mid-transfer.
   */
  pingMaxStreams: 4,
  /** Every DHT query (provide, findProviders, findPeer) is abandoned after this. */
  dhtQueryTimeoutMs: 10_000,
  /** A DHT request a peer sends us must complete in this time. */
  dhtIncomingMessageTimeoutMs: 10_000,
  dhtMaxInboundStreams: 32,
  dhtMaxOutboundStreams: 64,
  /** Bitswap: one message (a want-list or a batch of blocks). Blocks are at most 1 MiB + framing. */
  bitswapMaxMessageBytes: 4 * 1024 * 1024,
  bitswapMaxInboundStreams: 32,
  bitswapMaxOutboundStreams: 32,
  bitswapMaxWantlistSize: 1024,
  bitswapMessageTimeoutMs: 10_000,
  /** Request/response protocols (handleProtocol / dialProtocol). */
  maxRequestBytes: 64 * 1024,
  maxResponseBytes: 64 * 1024 * 1024,
  protocolTimeoutMs: 30_000,
  protocolMaxInboundStreams: 16,
  /** Waiting for the first bootstrap dials before createAccordNode returns. */
  bootstrapTimeoutMs: 5_000,
  /** How often bootstrap peers are redialled while the routing table is small, and the provider registry read again (registry-discovery.ts). */
  discoverPeersIntervalMs: 60_000,
  /** "Small": below this many peers in the routing table, keep looking for more. */
  minRoutingTablePeers: 20,
};

export type NetLimits = typeof NET_LIMITS;

/**
 * Limits of the content layer. Overridable per node through `createAccordNode({ content })`.
 */
export const CONTENT_LIMITS = {
  /**
   * Blocks of one file fetched ahead of the reader. The exporter would otherwise load every
   * child of a DAG layer at once (1 GiB for a 1 GiB file); this window keeps memory at
   * about this many MiB while keeping enough requests in flight to fill the link.
   */
  blockReadAhead: 8,
  /** Fetching content: no block arrived for this long means no one can serve it. */
  getTimeoutMs: 30_000,
  /** getBytes() refuses content larger than this; stream it with cat() instead. */
  maxGetBytes: 256 * 1024 * 1024,
  /** Announcing a CID in the DHT, and looking up its providers. */
  provideTimeoutMs: 10_000,
  findProvidersTimeoutMs: 10_000,
  /** Largest block a peer may send (docs/DESIGN.md's chunks are 1 MiB; dag-pb nodes are smaller). */
  maxBlockBytes: 2 * 1024 * 1024,
  /**
   * Fetched blocks being written to the blockstore while the reader already has their bytes;
   * bounds the memory a slow disk can take (this many blocks of at most maxBlockBytes).
   */
  blockWritesInFlight: 8,
  /**
   * Block-stream bytes buffered ahead of a reader that is busy with earlier bytes; past this
   * the stream pauses and yamux stops the sender (its window, 4 MiB, still arrives).
   */
  blockStreamHighWaterBytes: 8 * 1024 * 1024,
  /** Concurrent block streams one connection may open to us, and the time to name the root. */
  blockStreamMaxInboundStreams: 8,
  blockStreamRequestTimeoutMs: 10_000,
  /**
   * Move block streams over a direct TCP channel (a ticket handed over the authenticated
   * libp2p connection, records of one block each authenticated with AES-256-GCM's tag) when
   * both peers can; the libp2p block stream stays the fallback (transfer/channel-records.ts).
   */
  directBlocks: true,
  /** Port of the direct channel's listener, on the libp2p TCP listen host (0: any free port). */
  directBlocksPort: 0,
  /** Direct channels (tickets outstanding plus transfers) a node serves at once; more use the libp2p stream. */
  directBlocksMaxChannels: 32,
  /** Getting a ticket and opening the channel; slower than this and the fetch uses the libp2p stream. */
  directBlocksConnectTimeoutMs: 5_000,
  /** A direct channel with no traffic for this long is closed (as a libp2p stream would be). */
  directBlocksIdleTimeoutMs: 30_000,
  /** Unsent bytes the serving side queues on a direct channel before it waits for the socket. */
  directBlocksSendHighWaterBytes: 4 * 1024 * 1024,
  /**
   * Blocks served over the block stream that are kept in memory after their read from disk
   * (verified then), most recently used first: every provider that looks at a job fetches
   * its manifest and stdin, usually at once. Only blocks up to servedBlockCacheMaxBlockBytes.
   */
  servedBlockCacheBytes: 4 * 1024 * 1024,
  servedBlockCacheMaxBlockBytes: 64 * 1024,
  /** Providers returned by one findProviders call. */
  maxProviders: 20,
};

export type ContentLimits = typeof CONTENT_LIMITS;

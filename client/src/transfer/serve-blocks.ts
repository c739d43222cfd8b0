import type { Libp2p } from "@libp2p/interface";
import type { Blockstore } from "interface-blockstore";
import { blockstoreReader, cachingReader, type LocalBlockReader } from "./block-readers.ts";
import { serveBlockDirect } from "./block-direct.ts";
import { serveBlockStream } from "./block-stream.ts";
import type { DirectChannelListener } from "./channel-listener.ts";

export type ServeBlocksLimits = {
  maxInboundStreams: number;
  requestTimeoutMs: number;
  /** Small blocks served over the block stream kept in memory after their verified read (0: none). */
  servedBlockCacheBytes?: number;
  /** Only blocks up to this size are kept. */
  servedBlockCacheMaxBlockBytes?: number;
};

/**
 * Serves the DAGs in `blockstore` to peers that ask (only blocks this node already holds):
 * over the libp2p block stream, and, given a listener, over direct channels too, whose
 * blocks `directReader` reads (by default the block stream's reader).
 */
export async function serveBlocks(libp2p: Libp2p, blockstore: Blockstore, limits: ServeBlocksLimits, direct?: DirectChannelListener, directReader?: LocalBlockReader): Promise<void> {
  const reader = cachingReader(blockstoreReader(blockstore), limits.servedBlockCacheBytes ?? 0, limits.servedBlockCacheMaxBlockBytes ?? 0);
  await serveBlockStream(libp2p, reader, limits);
  // A direct channel hands a read buffer back only once its socket wrote it, so it may pool them.
  if (direct) await serveBlockDirect(libp2p, directReader ?? reader, limits, direct);
}

import type { Connection, Libp2p, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { connectionTo, isRelayed, preferDirect } from "../net/direct-upgrade.ts";
import { openDirectChannel, receiveOverDirectChannel, type DirectFetchOptions } from "./block-direct.ts";
import { fetchOverBlockStream } from "./block-stream.ts";
import type { BlockReceiveOptions, VerifiedBlock } from "./dag-order.ts";

/** How long a fetch over a relayed connection waits for DCUtR's direct one, when one can be made. */
export const DEFAULT_UPGRADE_WAIT_MS = 10_000;

export type FetchBlocksOptions = BlockReceiveOptions & {
  /**
   * Try a direct channel first (BLOCK_DIRECT_PROTOCOL) for a DAG of more than one block;
   * without it, and for a single-block root, the libp2p block stream only.
   */
  direct?: DirectFetchOptions;
  /** Waiting for a relayed connection's upgrade to a direct one (default DEFAULT_UPGRADE_WAIT_MS). */
  upgradeWaitMs?: number;
  /** Told which connection the blocks come over (direct or relayed: `isRelayed`). */
  onConnection?: (connection: Connection) => void;
};

/**
 * A raw-leaf root is the whole DAG: one block of at most maxBlockBytes (a file of up to one
 * chunk). A direct channel costs a ticket exchange, a TCP connection and its hello before
 * the first byte, which for a block of a few hundred bytes (a manifest, a stdin) was most of
 * what serving it cost; the libp2p stream rides the connection the fetch already has.
 */
export function isSingleBlock(root: CID): boolean {
  return root.code === raw.code;
}

/**
 * The blocks of the DAG under `root` from one peer, in depth-first order, each yielded only
 * after it hashed to the CID its parent (or the caller, for the root) names. Throws
 * CorruptBlockError at the first block that does not, before anyone sees its bytes.
 * Flow control reaches the peer: while the consumer holds a block, the stream pauses once
 * `highWaterBytes` are buffered and the sender stops.
 */
export async function* fetchBlocks(libp2p: Libp2p, peer: PeerId | Multiaddr, root: CID, options: FetchBlocksOptions): AsyncGenerator<VerifiedBlock> {
  // Through a relay only when no direct connection is there or coming (net/direct-upgrade.ts).
  const connection = await preferDirect(libp2p, await connectionTo(libp2p, peer, options.signal), {
    signal: options.signal,
    waitMs: options.upgradeWaitMs ?? DEFAULT_UPGRADE_WAIT_MS,
  });
  options.onConnection?.(connection);
  // A direct channel needs the peer's IP, which a relayed connection does not have.
  if (options.direct && !isSingleBlock(root) && !isRelayed(connection)) {
    // A channel that cannot be made (an older peer, a firewall, no free channel) is no
    // fault of the content: the same peer serves it over the libp2p block stream instead.
    const channel = await openDirectChannel(libp2p, connection, root, options.direct, options).catch((err: unknown) => {
      if (options.signal.aborted) throw err;
      options.direct?.onUnavailable?.(err);
      return undefined;
    });
    if (channel) {
      yield* receiveOverDirectChannel(channel, root);
      return;
    }
  }
  yield* fetchOverBlockStream(libp2p, peer, connection, root, options);
}

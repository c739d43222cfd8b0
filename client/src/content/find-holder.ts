import type { Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Blockstore } from "interface-blockstore";
import type { CID } from "multiformats/cid";
import { fetchBlocks, isSingleBlock } from "../transfer/fetch-blocks.ts";
import type { ContentLimits } from "./constants.ts";

export type FindHolderOptions = {
  signal?: AbortSignal;
  /** How long a peer may take to send the root block (it answers at once when it lacks it). */
  timeoutMs: number;
};

/**
 * The first of `peers` to send `cid`'s root block, with every peer asked at once over the
 * block stream, or undefined when none has it. A peer serves only from its own store, so
 * one without the block closes the stream at once: the question costs each peer a stream
 * and one lookup, whatever the number of peers. Asked one after another, a node connected
 * to many peers only ever reached the first few (the rest were never asked, or asked after
 * the caller's patience ran out). The others' streams are closed as soon as one answers.
 * A single-block root (a manifest, a small stdin) is kept in `blockstore`, so the caller's
 * read that follows is local.
 */
export async function findHolder(
  { libp2p, blockstore, limits }: { libp2p: Libp2p; blockstore: Blockstore; limits: ContentLimits },
  cid: CID,
  peers: readonly Multiaddr[],
  options: FindHolderOptions,
): Promise<Multiaddr | undefined> {
  if (peers.length === 0) return undefined;
  const done = new AbortController();
  const signal = AbortSignal.any([done.signal, AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])]);
  const ask = async (peer: Multiaddr): Promise<Multiaddr> => {
    for await (const block of fetchBlocks(libp2p, peer, cid, { signal, maxBlockBytes: limits.maxBlockBytes, highWaterBytes: limits.blockStreamHighWaterBytes })) {
      // The root is verified against the CID before it is yielded: this peer holds the content.
      if (isSingleBlock(cid)) await blockstore.put(block.cid, block.bytes, { signal });
      return peer;
    }
    throw new Error(`${peer.toString()} sent no block`);
  };
  try {
    return await Promise.any(peers.map(ask));
  } catch {
    if (options.signal?.aborted) throw options.signal.reason;
    return undefined;
  } finally {
    done.abort();
  }
}

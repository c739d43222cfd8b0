import * as dagPb from "@ipld/dag-pb";
import type { Libp2p, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Blockstore } from "interface-blockstore";
import type { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { fetchBlocks } from "../transfer/fetch-blocks.ts";
import { ReceiveBuffers } from "../transfer/receive-buffers.ts";
import type { ContentLimits } from "./constants.ts";
import { NotAFileError } from "./errors.ts";
import { BlockWrites, fileData, RAW_CODE } from "./file-blocks.ts";

/** Room for a 1 MiB leaf and a direct record's tag. */
const RECEIVE_BUFFER_BYTES = 1024 * 1024 + 64;
/** Blocks below this get buffers of their own: dag-pb nodes of docs/DESIGN.md's profile are a few KiB. */
const RECEIVE_BUFFER_MIN_BYTES = 64 * 1024;

/** A peer the DHT names as holding a CID, with the addresses it gave. */
export type ProviderInfo = { id: PeerId; multiaddrs: Multiaddr[] };

/** The part of a file the reader wants, and how much of it has reached the reader so far. */
export type FileRange = { offset: number; length?: number; delivered: number; done: boolean };

export type FileFromPeersOptions = {
  range: FileRange;
  signal: AbortSignal;
  /** Called on every block that arrives (the caller's idle timer). */
  onBlock: () => void;
  /** Each peer that failed, with why, for the caller's ContentNotFoundError. */
  failures: string[];
  /** The reader is done with each chunk before it asks for the next (GetOptions.reuseChunks). */
  reuseChunks?: boolean;
};

/**
 * A file's bytes from the first of `peers` that serves its DAG intact over the block stream
 * or the direct channel (fetchBlocks). Blocks come depth-first, which is file order, so each
 * verified leaf goes straight to the reader (no second read from disk, no second hash) and,
 * in the background, to `blockstore`. A peer that fails mid-file is recorded and the next
 * one resumes after the bytes already delivered; if none finishes, `range.done` stays false
 * and the caller falls back to bitswap from there. Roots that are not UnixFS files yield
 * nothing: the exporter reads them (or says why not).
 */
export async function* streamFileFromPeers(
  { libp2p, blockstore, limits }: { libp2p: Libp2p; blockstore: Blockstore; limits: ContentLimits },
  cid: CID,
  peers: AsyncIterable<PeerId | Multiaddr | ProviderInfo> | Iterable<PeerId | Multiaddr>,
  { range, signal, onBlock, failures, reuseChunks }: FileFromPeersOptions,
): AsyncGenerator<Uint8Array> {
  if ((cid.code !== dagPb.code && cid.code !== RAW_CODE) || cid.multihash.code !== sha256.code) return;
  const end = range.length === undefined ? Infinity : range.offset + range.length;
  // Blocks being written, queued on the socket, and the one the reader holds, plus a few.
  const buffers = reuseChunks
    ? new ReceiveBuffers(RECEIVE_BUFFER_BYTES, RECEIVE_BUFFER_MIN_BYTES, limits.blockWritesInFlight + Math.ceil(limits.blockStreamHighWaterBytes / RECEIVE_BUFFER_BYTES) + 4)
    : undefined;
  const allocate = buffers && ((bytes: number) => buffers.allocate(bytes));
  for await (const candidate of peers) {
    if ("multiaddrs" in candidate && candidate.id.equals(libp2p.peerId)) continue;
    let target: PeerId | Multiaddr;
    if ("multiaddrs" in candidate) {
      target = candidate.id;
      // Dialling by peer id needs its addresses in the peer store (else libp2p looks the peer up first).
      if (candidate.multiaddrs.length) await libp2p.peerStore.merge(candidate.id, { multiaddrs: candidate.multiaddrs }).catch(() => {});
    } else target = candidate;
    // Straight to the node's blockstore: Helia's layer adds a has() per block (a verified
    // block that is already there is only written again) and a bitswap announcement.
    const writes = new BlockWrites(blockstore, limits.blockWritesInFlight, signal);
    // Bytes of the file before the current block.
    let position = 0;
    let first = true;
    try {
      for await (const { cid: blockCid, bytes } of fetchBlocks(libp2p, target, cid, {
        signal,
        maxBlockBytes: limits.maxBlockBytes,
        highWaterBytes: limits.blockStreamHighWaterBytes,
        direct: limits.directBlocks ? { connectTimeoutMs: limits.directBlocksConnectTimeoutMs, idleTimeoutMs: limits.directBlocksIdleTimeoutMs } : undefined,
        allocate,
      })) {
        onBlock();
        // A raw leaf's buffer is reused once the disk has it and the reader asked for the next chunk.
        const reused = blockCid.code === RAW_CODE && buffers?.hold(bytes, 2) === true;
        await writes.add(blockCid, bytes, reused ? () => buffers!.release(bytes) : undefined);
        const data = fileData(blockCid, bytes, first);
        first = false;
        const from = Math.max(range.offset + range.delivered - position, 0);
        const to = Math.min(end - position, data.length);
        position += data.length;
        if (to > from) {
          range.delivered += to - from;
          yield data.subarray(from, to);
        }
        if (reused) buffers!.release(bytes);
        // The rest of the DAG is not wanted; leaving the loop closes the stream.
        if (position >= end) break;
      }
      await writes.flush();
      range.done = true;
      return;
    } catch (err) {
      if (err instanceof NotAFileError || signal.aborted) throw err;
      failures.push(`${target.toString()}: ${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message}`);
    } finally {
      // Also when the reader stopped early: no write outlives the read that started it.
      await writes.settle();
    }
  }
}

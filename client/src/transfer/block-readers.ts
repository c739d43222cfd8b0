/**
 * The serving side's local block reads, shared by the libp2p block stream and the direct
 * channel: a DAG's blocks in send order with reads ahead of the send, a small cache of
 * served blocks, pooled read buffers.
 */
import type { Blockstore } from "interface-blockstore";
import all from "it-all";
import type { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { childLinks, matchesCid, type VerifiedBlock } from "./dag-order.ts";
import { CorruptBlockError } from "./errors.ts";

/** A block's bytes from the chunks a blockstore yields: a lone chunk as it is, without a copy. */
export async function joinChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts = await all(chunks);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * Blocks the listener reads from disk ahead of the one it is sending, so the disk and the
 * hash check overlap the network. 4 blocks of at most maxBlockBytes per stream, times
 * blockStreamMaxInboundStreams, bounds what a listener holds.
 */
const SEND_READ_AHEAD = 4;
/**
 * Read buffers a pooled reader keeps for reuse: the blocks read ahead, the one being sent,
 * and the ones a direct channel's socket still holds (its 4 MiB queue, plus one).
 */
const POOLED_BUFFERS = SEND_READ_AHEAD + 8;

type Upcoming = { cid: CID; read?: Promise<Uint8Array> };

/** Reads one local block; `release` hands back its buffer once the block was sent. */
export type LocalBlockReader = { read(cid: CID, signal: AbortSignal): Promise<Uint8Array>; release?(bytes: Uint8Array): void };

export function blockstoreReader(blockstore: Blockstore): LocalBlockReader {
  return { read: (cid, signal) => joinChunks(blockstore.get(cid, { offline: true, signal } as object)) };
}

/**
 * Keeps small blocks `reader` read (and so checked against their CIDs) in memory, the most
 * recently used up to `maxBytes`, and shares a read still under way: a requester's manifest
 * and stdin (a few hundred bytes each) are fetched by every provider that looks at the job,
 * usually at once, and each fetch was a file read and a hash. The bytes are never changed
 * after the read (the block stream writes them as they are), so a copy in memory stays the
 * block its CID names.
 */
export function cachingReader(reader: LocalBlockReader, maxBytes: number, maxBlockBytes: number): LocalBlockReader {
  if (maxBytes <= 0) return reader;
  const blocks = new Map<string, Promise<Uint8Array>>();
  const sizes = new Map<string, number>();
  let held = 0;
  const drop = (key: string) => {
    held -= sizes.get(key) ?? 0;
    sizes.delete(key);
    blocks.delete(key);
  };
  return {
    read(cid, signal) {
      signal.throwIfAborted();
      const key = cid.toString();
      const known = blocks.get(key);
      if (known) {
        // Most recently used last, so the first entry is the one to drop.
        blocks.delete(key);
        blocks.set(key, known);
        return known;
      }
      // Not tied to one request's signal: other requests may wait on the same read.
      const read = reader.read(cid, new AbortController().signal);
      blocks.set(key, read);
      read.then(
        (bytes) => {
          if (blocks.get(key) !== read) return;
          if (bytes.length > maxBlockBytes || bytes.length > maxBytes) return void blocks.delete(key);
          sizes.set(key, bytes.length);
          held += bytes.length;
          while (held > maxBytes) drop(blocks.keys().next().value!);
        },
        () => {
          if (blocks.get(key) === read) blocks.delete(key);
        },
      );
      return read;
    },
  };
}

/**
 * Reads raw leaves into a few reused buffers (dag-pb nodes get their own: the CIDs of their
 * links are views of their bytes and outlive the send), checking each against its CID
 * unless `verify` is off, as the node's VerifyingBlockstore would.
 */
export function pooledReader(readInto: (cid: CID, into: Uint8Array) => Promise<Uint8Array>, blockstore: Blockstore, verify: boolean, bufferBytes: number): LocalBlockReader {
  const free: Uint8Array[] = [];
  const owned = new WeakSet<ArrayBufferLike>();
  return {
    async read(cid, signal) {
      signal.throwIfAborted();
      if (cid.code !== raw.code) return joinChunks(blockstore.get(cid, { offline: true, signal } as object));
      const into = free.pop() ?? Buffer.allocUnsafeSlow(bufferBytes);
      owned.add(into.buffer);
      let bytes: Uint8Array;
      try {
        bytes = await readInto(cid, into);
      } catch (err) {
        free.push(into);
        throw err;
      }
      if (bytes.buffer !== into.buffer) free.push(into);
      if (verify && !matchesCid(cid, bytes)) throw new CorruptBlockError(cid.toString(), "the local store");
      return bytes;
    },
    release(bytes) {
      if (owned.has(bytes.buffer) && free.length < POOLED_BUFFERS) free.push(new Uint8Array(bytes.buffer, 0, bufferBytes));
    },
  };
}

/**
 * The blocks of the DAG under `root`, depth-first (each dag-pb node, then its links in
 * order), reading up to SEND_READ_AHEAD blocks ahead of the one yielded so the disk and the
 * hash check overlap the network.
 */
export async function* dagBlocks(reader: LocalBlockReader, root: CID, signal: AbortSignal): AsyncGenerator<VerifiedBlock> {
  // A stack in send order (top = next). Only its top changes: a dag-pb node is replaced
  // by its links, so reads already started for the entries below stay valid.
  const pending: Upcoming[] = [{ cid: root }];
  while (pending.length) {
    for (let i = pending.length - 1; i >= Math.max(0, pending.length - SEND_READ_AHEAD); i--) {
      const next = pending[i];
      if (next.read) continue;
      next.read = reader.read(next.cid, signal);
      // Awaited in turn below; this only keeps a read abandoned by an error from being unhandled.
      next.read.catch(() => {});
    }
    const { cid, read } = pending.pop()!;
    const bytes = await read!;
    const links = childLinks(cid, bytes);
    yield { cid, bytes };
    for (let i = links.length - 1; i >= 0; i--) pending.push({ cid: links[i] });
  }
}

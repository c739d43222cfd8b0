import * as dagPb from "@ipld/dag-pb";
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Blockstore } from "interface-blockstore";
import { CID } from "multiformats/cid";
import { createHash } from "node:crypto";
import { sha256 } from "multiformats/hashes/sha2";
import { readChunks, writeAll } from "../net/protocol.ts";
import { CorruptBlockError } from "./errors.ts";

/**
 * Accord's block stream: the dialer names a root CID (one length byte, the binary CID); the listener sends every block of the
 * DAG in depth-first order, each as a 4-byte big-endian length and the bytes. The dialer
 * knows which CID comes next from the blocks it already has (the root, then the links of
 * each dag-pb node in order), so every block is checked against its CID on arrival and a
 * wrong one is caught at once, naming the peer. One request per DAG instead of bitswap's
 * want/have round trips per block: see docs/PROTOCOL.md for the measurements that chose it.
 */
export const BLOCK_STREAM_PROTOCOL = "/accord/blocks/1.0.0";
const LENGTH_BYTES = 4;
/**
 * Blocks the listener reads from disk ahead of the one it is sending, so the disk and the
 * hash check overlap the network. 4 blocks of at most maxBlockBytes per stream, times
 * blockStreamMaxInboundStreams, bounds what a listener holds.
 */
const SEND_READ_AHEAD = 4;

export type BlockStreamLimits = { maxBlockBytes: number; maxInboundStreams: number; requestTimeoutMs: number };
export type VerifiedBlock = { cid: CID; bytes: Uint8Array };

async function collect(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

function childLinks(cid: CID, block: Uint8Array): CID[] {
  return cid.code === dagPb.code ? dagPb.decode(block).Links.map((l) => l.Hash) : [];
}

/** Synchronous native sha2-256: one call per block, no promise per block. */
function matchesCid(cid: CID, block: Uint8Array): boolean {
  if (cid.multihash.code !== sha256.code) return false;
  const digest = createHash("sha256").update(block).digest();
  return digest.equals(cid.multihash.digest);
}

/** Reads the request: one length byte, then the root CID in binary. */
async function readRoot(stream: Stream, signal: AbortSignal): Promise<CID> {
  let buf = new Uint8Array(0);
  for await (const chunk of readChunks(stream, signal)) {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length > 0 && buf.length >= 1 + buf[0]) return CID.decode(buf.subarray(1, 1 + buf[0]));
    if (buf.length > 256) break;
  }
  throw new Error("the block stream request is not a length-prefixed CID");
}

type Upcoming = { cid: CID; read?: Promise<Uint8Array> };

/** Serves the DAGs in `blockstore` to peers that ask (only blocks this node already holds). */
export async function serveBlockStream(libp2p: Libp2p, blockstore: Blockstore, limits: BlockStreamLimits): Promise<void> {
  await libp2p.handle(
    BLOCK_STREAM_PROTOCOL,
    async (stream) => {
      const stop = new AbortController();
      try {
        // A stack in send order (top = next). Only its top changes: a dag-pb node is replaced
        // by its links, so reads already started for the entries below stay valid.
        const pending: Upcoming[] = [{ cid: await readRoot(stream, AbortSignal.timeout(limits.requestTimeoutMs)) }];
        // The stream's inactivity timeout bounds a reader that stops reading; `stop` ends
        // the reads ahead once the stream is gone.
        const signal = stop.signal;
        while (pending.length) {
          for (let i = pending.length - 1; i >= Math.max(0, pending.length - SEND_READ_AHEAD); i--) {
            const next = pending[i];
            if (next.read) continue;
            next.read = collect(blockstore.get(next.cid, { offline: true, signal } as object));
            // Awaited in turn below; this only keeps a read abandoned by an error from being unhandled.
            next.read.catch(() => {});
          }
          const { cid, read } = pending.pop()!;
          const block = await read!;
          const header = new Uint8Array(LENGTH_BYTES);
          new DataView(header.buffer).setUint32(0, block.length);
          await writeAll(stream, [header, block], signal);
          const links = childLinks(cid, block);
          for (let i = links.length - 1; i >= 0; i--) pending.push({ cid: links[i] });
        }
        await stream.close();
      } catch (err) {
        stream.abort(err as Error);
      } finally {
        stop.abort();
      }
    },
    { maxInboundStreams: limits.maxInboundStreams },
  );
}

/**
 * The blocks of the DAG under `root` from one peer, in depth-first order, each yielded only
 * after it hashed to the CID its parent (or the caller, for the root) names. Throws
 * CorruptBlockError at the first block that does not, before anyone sees its bytes.
 * Flow control reaches the peer: while the consumer holds a block, the stream pauses once
 * `highWaterBytes` are buffered and yamux stops the sender.
 */
export async function* fetchBlocks(
  libp2p: Libp2p,
  peer: PeerId | Multiaddr,
  root: CID,
  options: { signal: AbortSignal; maxBlockBytes: number; highWaterBytes?: number },
): AsyncGenerator<VerifiedBlock> {
  const stream: Stream = await libp2p.dialProtocol(peer, BLOCK_STREAM_PROTOCOL, { signal: options.signal });
  const label = "remotePeer" in stream ? String(stream.remotePeer) : peer.toString();
  let complete = false;
  try {
    // Length-prefixed, and the write end stays open: yamux cannot resume a paused reader
    // (a window update) on a stream whose write end is closed.
    await writeAll(stream, [Uint8Array.of(root.bytes.length), root.bytes], options.signal);
    const pending = [root];
    const header = new Uint8Array(LENGTH_BYTES);
    let headerFill = 0;
    // The block being received is copied once, into a buffer of its announced length.
    let block: Uint8Array | undefined;
    let blockFill = 0;
    for await (let chunk of readChunks(stream, options.signal, options.highWaterBytes)) {
      while (chunk.length > 0) {
        if (!block) {
          const take = Math.min(LENGTH_BYTES - headerFill, chunk.length);
          header.set(chunk.subarray(0, take), headerFill);
          headerFill += take;
          chunk = chunk.subarray(take);
          if (headerFill < LENGTH_BYTES) break;
          headerFill = 0;
          const length = new DataView(header.buffer).getUint32(0);
          const expected = pending.at(-1);
          if (!expected) throw new CorruptBlockError(root.toString(), `peer ${label} (more blocks than the DAG holds)`);
          if (length > options.maxBlockBytes) throw new CorruptBlockError(expected.toString(), `peer ${label} (a ${length}-byte block)`);
          block = Buffer.allocUnsafe(length);
          blockFill = 0;
        }
        const take = Math.min(block.length - blockFill, chunk.length);
        block.set(chunk.subarray(0, take), blockFill);
        blockFill += take;
        chunk = chunk.subarray(take);
        if (blockFill < block.length) break;
        const cid = pending.pop()!;
        const bytes = block;
        block = undefined;
        if (!matchesCid(cid, bytes)) throw new CorruptBlockError(cid.toString(), `peer ${label}`);
        const links = childLinks(cid, bytes);
        for (let i = links.length - 1; i >= 0; i--) pending.push(links[i]);
        yield { cid, bytes };
      }
    }
    if (pending.length || block || headerFill) throw new Error(`${label} ended the block stream with ${pending.length} blocks missing`);
    complete = true;
    await stream.close({ signal: options.signal });
  } catch (err) {
    stream.abort(err as Error);
    throw err;
  } finally {
    // The consumer stopped early (return() on the generator): nothing more is wanted.
    if (!complete && stream.status === "open") stream.abort(new Error("the reader stopped before the end of the DAG"));
  }
}

/**
 * Fetches the whole DAG under `root` from one peer into `blockstore`, verifying each block.
 * Throws CorruptBlockError if the peer sends a block that does not match its CID.
 */
export async function fetchBlockStream(
  libp2p: Libp2p,
  blockstore: Blockstore,
  peer: PeerId | Multiaddr,
  root: CID,
  options: { signal: AbortSignal; maxBlockBytes: number; onBlock?: () => void },
): Promise<void> {
  for await (const { cid, bytes } of fetchBlocks(libp2p, peer, root, options)) {
    await blockstore.put(cid, bytes, { signal: options.signal });
    options.onBlock?.();
  }
}

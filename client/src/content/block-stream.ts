import * as dagPb from "@ipld/dag-pb";
import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Blockstore } from "interface-blockstore";
import { CID } from "multiformats/cid";
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

export type BlockStreamLimits = { maxBlockBytes: number; maxInboundStreams: number; requestTimeoutMs: number };

async function collect(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

function childLinks(cid: CID, block: Uint8Array): CID[] {
  return cid.code === dagPb.code ? dagPb.decode(block).Links.map((l) => l.Hash) : [];
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

/** Serves the DAGs in `blockstore` to peers that ask (only blocks this node already holds). */
export async function serveBlockStream(libp2p: Libp2p, blockstore: Blockstore, limits: BlockStreamLimits): Promise<void> {
  await libp2p.handle(
    BLOCK_STREAM_PROTOCOL,
    async (stream) => {
      try {
        const pending = [await readRoot(stream, AbortSignal.timeout(limits.requestTimeoutMs))];
        // The stream's inactivity timeout bounds a reader that stops reading.
        const signal = new AbortController().signal;
        while (pending.length) {
          const cid = pending.pop()!;
          const block = await collect(blockstore.get(cid, { offline: true } as object));
          const header = new Uint8Array(LENGTH_BYTES);
          new DataView(header.buffer).setUint32(0, block.length);
          await writeAll(stream, [header, block], signal);
          pending.push(...childLinks(cid, block).reverse());
        }
        await stream.close();
      } catch (err) {
        stream.abort(err as Error);
      }
    },
    { maxInboundStreams: limits.maxInboundStreams },
  );
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
  const stream: Stream = await libp2p.dialProtocol(peer, BLOCK_STREAM_PROTOCOL, { signal: options.signal });
  const label = "remotePeer" in stream ? String(stream.remotePeer) : peer.toString();
  try {
    // Length-prefixed, and the write end stays open: yamux cannot resume a paused reader
    // (a window update) on a stream whose write end is closed.
    await writeAll(stream, [Uint8Array.of(root.bytes.length), root.bytes], options.signal);
    const pending = [root];
    let parts: Uint8Array[] = [];
    let have = 0;
    for await (const chunk of readChunks(stream, options.signal)) {
      parts.push(chunk);
      have += chunk.length;
      while (have >= LENGTH_BYTES) {
        let buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
        parts = [buf];
        const length = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(0);
        if (length > options.maxBlockBytes) throw new CorruptBlockError(pending.at(-1)?.toString() ?? root.toString(), `peer ${label} (a ${length}-byte block)`);
        if (have < LENGTH_BYTES + length) break;
        const block = buf.subarray(LENGTH_BYTES, LENGTH_BYTES + length);
        buf = buf.subarray(LENGTH_BYTES + length);
        parts = buf.length ? [buf] : [];
        have = buf.length;
        const cid = pending.pop();
        if (!cid) throw new CorruptBlockError(root.toString(), `peer ${label} (more blocks than the DAG holds)`);
        const digest = await sha256.digest(block);
        if (cid.multihash.code !== sha256.code || !Buffer.from(digest.digest).equals(Buffer.from(cid.multihash.digest)))
          throw new CorruptBlockError(cid.toString(), `peer ${label}`);
        await blockstore.put(cid, block.slice(), { signal: options.signal });
        options.onBlock?.();
        pending.push(...childLinks(cid, block).reverse());
      }
    }
    if (pending.length || have) throw new Error(`${label} ended the block stream with ${pending.length} blocks missing`);
    await stream.close({ signal: options.signal });
  } catch (err) {
    stream.abort(err as Error);
    throw err;
  }
}

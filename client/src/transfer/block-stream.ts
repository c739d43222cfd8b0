import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { CID } from "multiformats/cid";
import { isRelayed } from "../net/direct-upgrade.ts";
import { writeAll } from "../net/protocol.ts";
import { dagBlocks, type LocalBlockReader } from "./block-readers.ts";
import { DagOrder, type BlockReceiveOptions, type VerifiedBlock } from "./dag-order.ts";
import { CorruptBlockError, InvalidBlockRequestError } from "./errors.ts";
import { readChunks } from "./stream-chunks.ts";

/**
 * Accord's block stream: the dialer names a root CID (one length byte, the binary CID); the
 * listener sends every block of the DAG in depth-first order, each as a 4-byte big-endian
 * length and the bytes. The dialer knows which CID comes next from the blocks it already has
 * (dag-order.ts), so every block is checked against its CID on arrival and a wrong one is
 * caught at once, naming the peer. One request per DAG instead of bitswap's want/have round
 * trips per block: bench/README.md has the measurements that chose it.
 */
export const BLOCK_STREAM_PROTOCOL = "/accord/blocks/1.0.0";
const LENGTH_BYTES = 4;

export type BlockStreamServeLimits = { maxInboundStreams: number; requestTimeoutMs: number };

/** Reads the request: one length byte, then the root CID in binary. */
async function readRoot(stream: Stream, signal: AbortSignal): Promise<CID> {
  let buf = new Uint8Array(0);
  for await (const chunk of readChunks(stream, signal)) {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length > 0 && buf.length >= 1 + buf[0]) return CID.decode(buf.subarray(1, 1 + buf[0]));
    if (buf.length > 256) break;
  }
  throw new InvalidBlockRequestError(BLOCK_STREAM_PROTOCOL);
}

/** Serves, over the libp2p block stream, the DAGs `reader` holds (only blocks this node already has). */
export async function serveBlockStream(libp2p: Libp2p, reader: LocalBlockReader, limits: BlockStreamServeLimits): Promise<void> {
  await libp2p.handle(
    BLOCK_STREAM_PROTOCOL,
    async (stream) => {
      const stop = new AbortController();
      try {
        const root = await readRoot(stream, AbortSignal.timeout(limits.requestTimeoutMs));
        // The stream's inactivity timeout bounds a reader that stops reading; `stop` ends
        // the reads ahead once the stream is gone.
        for await (const { bytes } of dagBlocks(reader, root, stop.signal)) {
          const header = new Uint8Array(LENGTH_BYTES);
          new DataView(header.buffer).setUint32(0, bytes.length);
          await writeAll(stream, [header, bytes], stop.signal);
        }
        await stream.close();
      } catch (err) {
        stream.abort(err as Error);
      } finally {
        stop.abort();
      }
    },
    // Over a relay too: a node behind NAT serves its content no other way (the relay's own
    // limits on bytes and time apply; see net/relay.ts).
    { maxInboundStreams: limits.maxInboundStreams, runOnLimitedConnection: true },
  );
}

/** The DAG over the libp2p block stream (noise + yamux), on `connection` (which may be relayed). */
export async function* fetchOverBlockStream(libp2p: Libp2p, peer: PeerId | Multiaddr, connection: Connection, root: CID, options: BlockReceiveOptions): AsyncGenerator<VerifiedBlock> {
  // libp2p's dial never picks a relayed connection (it dials again instead), so a stream
  // through the relay is opened on that connection itself.
  const stream: Stream = isRelayed(connection)
    ? await connection.newStream(BLOCK_STREAM_PROTOCOL, { signal: options.signal, runOnLimitedConnection: true })
    : await libp2p.dialProtocol(peer, BLOCK_STREAM_PROTOCOL, { signal: options.signal });
  // A relay resets a connection that reaches its limits; the error should say the relay may be why.
  const label = isRelayed(connection) ? `${connection.remotePeer} (through relay ${connection.remoteAddr.toString().split("/p2p-circuit")[0].split("/p2p/").pop()}, which resets a connection at its byte or time limit)` : String(connection.remotePeer);
  let complete = false;
  try {
    // Length-prefixed, and the write end stays open: yamux cannot resume a paused reader
    // (a window update) on a stream whose write end is closed.
    await writeAll(stream, [Uint8Array.of(root.bytes.length), root.bytes], options.signal);
    const order = new DagOrder(root, label);
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
          const expected = order.next();
          if (length > options.maxBlockBytes) throw new CorruptBlockError(expected.toString(), `peer ${label} (a ${length}-byte block)`);
          block = options.allocate ? options.allocate(length) : Buffer.allocUnsafe(length);
          blockFill = 0;
        }
        const take = Math.min(block.length - blockFill, chunk.length);
        block.set(chunk.subarray(0, take), blockFill);
        blockFill += take;
        chunk = chunk.subarray(take);
        if (blockFill < block.length) break;
        const bytes = block;
        block = undefined;
        yield order.accept(bytes);
      }
    }
    order.assertComplete("block stream");
    // Part of a header after the DAG's last block: more blocks than it holds.
    if (headerFill) order.next();
    complete = true;
    await stream.close({ signal: options.signal });
  } catch (err) {
    stream.abort(err as Error);
    throw err;
  } finally {
    // The consumer stopped early (return() on the generator): nothing more is wanted.
    if (!complete && stream.status === "open") stream.abort(new DOMException("the reader stopped before the end of the DAG", "AbortError"));
  }
}

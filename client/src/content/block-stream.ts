import type { Connection, Libp2p, PeerId, Stream } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Blockstore } from "interface-blockstore";
import { CID } from "multiformats/cid";
import { connectionTo, isRelayed, preferDirect } from "../net/direct-upgrade.ts";
import { dialProtocol, handleProtocol, readChunks, writeAll } from "../net/protocol.ts";
import { connectSealed, decodeTicket, encodeTicket, RECORD, SealedChannelError, type SealedListener, type SealedReceiver, type SealedSender } from "../net/sealed-channel.ts";
import { blockstoreReader, cachingReader, childLinks, dagBlocks, matchesCid, type LocalBlockReader, type VerifiedBlock } from "./block-readers.ts";
import { CorruptBlockError } from "./errors.ts";
import { RAW_CODE } from "./file-blocks.ts";

/**
 * Accord's block stream: the dialer names a root CID (one length byte, the binary CID); the listener sends every block of the
 * DAG in depth-first order, each as a 4-byte big-endian length and the bytes. The dialer
 * knows which CID comes next from the blocks it already has (the root, then the links of
 * each dag-pb node in order), so every block is checked against its CID on arrival and a
 * wrong one is caught at once, naming the peer. One request per DAG instead of bitswap's
 * want/have round trips per block: see docs/PROTOCOL.md for the measurements that chose it.
 */
export const BLOCK_STREAM_PROTOCOL = "/accord/blocks/1.0.0";
/** Asks for a sealed direct channel carrying the same block stream (see serveDirect). */
// 2.0.0: records are authenticated, not encrypted (1.0.0 peers fall back to the block stream).
export const BLOCK_DIRECT_PROTOCOL = "/accord/blocks-direct/2.0.0";
const LENGTH_BYTES = 4;

export type BlockStreamLimits = {
  maxBlockBytes: number;
  maxInboundStreams: number;
  requestTimeoutMs: number;
  /** Small blocks served over the block stream kept in memory after their verified read (0: none). */
  servedBlockCacheBytes?: number;
  /** Only blocks up to this size are kept. */
  servedBlockCacheMaxBlockBytes?: number;
};

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
export async function serveBlockStream(libp2p: Libp2p, blockstore: Blockstore, limits: BlockStreamLimits, direct?: SealedListener, directReader?: LocalBlockReader): Promise<void> {
  const reader = cachingReader(blockstoreReader(blockstore), limits.servedBlockCacheBytes ?? 0, limits.servedBlockCacheMaxBlockBytes ?? 0);
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
  // A direct channel hands a read buffer back only once its socket wrote it, so it may pool them.
  if (direct) await serveDirect(libp2p, directReader ?? reader, limits, direct);
}

/**
 * The direct path: a peer names a root on BLOCK_DIRECT_PROTOCOL (over its authenticated
 * libp2p connection) and gets a ticket for a sealed channel on which the same blocks, in
 * the same order, follow one per record. Why: docs/PROTOCOL.md, "Block stream".
 */
async function serveDirect(libp2p: Libp2p, reader: LocalBlockReader, limits: BlockStreamLimits, direct: SealedListener): Promise<void> {
  await handleProtocol(
    libp2p,
    BLOCK_DIRECT_PROTOCOL,
    async (request) => {
      if (request.length < 1 || request.length !== 1 + request[0]) throw new Error("the request is not a length-prefixed CID");
      const root = CID.decode(request.subarray(1));
      const ticket = direct.issue((sender) => void sendDag(sender, reader, root));
      if (!ticket) throw new Error("no sealed channel free; use the block stream");
      return encodeTicket(direct.port, ticket);
    },
    { maxRequestBytes: 256, timeoutMs: limits.requestTimeoutMs, maxInboundStreams: limits.maxInboundStreams },
  );
}

async function sendDag(sender: SealedSender, reader: LocalBlockReader, root: CID): Promise<void> {
  const stop = new AbortController();
  const onClose = () => stop.abort(new Error("the peer closed the sealed channel"));
  sender.socket.once("close", onClose);
  try {
    await sender.send(RECORD.accept, new Uint8Array(0), stop.signal);
    for await (const { bytes } of dagBlocks(reader, root, stop.signal)) {
      // The socket writes these very bytes: the buffer goes back to the pool once it has.
      await sender.send(RECORD.data, bytes, stop.signal, reader.release && (() => reader.release!(bytes)));
    }
    await sender.end();
  } catch (err) {
    if (!stop.signal.aborted) {
      // Tell the dialer why (a block this node lacks, a rotten copy on its disk), then end.
      const message = new TextEncoder().encode(String((err as Error)?.message ?? err).slice(0, 1024));
      await sender.send(RECORD.error, message, stop.signal).catch(() => {});
      await sender.end().catch(() => {});
    }
    sender.socket.destroy();
  } finally {
    sender.socket.off("close", onClose);
    stop.abort();
  }
}

/**
 * The blocks of the DAG under `root` from one peer, in depth-first order, each yielded only
 * after it hashed to the CID its parent (or the caller, for the root) names. Throws
 * CorruptBlockError at the first block that does not, before anyone sees its bytes.
 * Flow control reaches the peer: while the consumer holds a block, the stream pauses once
 * `highWaterBytes` are buffered and yamux stops the sender.
 */
export async function* fetchBlocks(libp2p: Libp2p, peer: PeerId | Multiaddr, root: CID, options: FetchBlocksOptions): AsyncGenerator<VerifiedBlock> {
  // Through a relay only when no direct connection is there or coming (net/direct-upgrade.ts).
  const connection = await preferDirect(libp2p, await connectionTo(libp2p, peer, options.signal), {
    signal: options.signal,
    waitMs: options.upgradeWaitMs ?? DEFAULT_UPGRADE_WAIT_MS,
  });
  options.onConnection?.(connection);
  // A sealed channel needs the peer's IP, which a relayed connection does not have.
  if (options.direct && !isSingleBlock(root) && !isRelayed(connection)) {
    // A channel that cannot be made (an older peer, a firewall, no free channel) is no
    // fault of the content: the same peer serves it over the libp2p block stream instead.
    const channel = await openDirect(libp2p, connection, root, options.direct, options).catch((err: unknown) => {
      if (options.signal.aborted) throw err;
      options.direct?.onUnavailable?.(err);
      return undefined;
    });
    if (channel) {
      yield* receiveDirect(channel, root, options);
      return;
    }
  }
  yield* fetchOverStream(libp2p, peer, connection, root, options);
}

/** How long a fetch over a relayed connection waits for DCUtR's direct one, when one can be made. */
export const DEFAULT_UPGRADE_WAIT_MS = 10_000;

/**
 * A raw-leaf root is the whole DAG: one block of at most maxBlockBytes (a file of up to one
 * chunk). A direct channel costs a ticket exchange, a TCP connection and its hello before
 * the first byte, which for a block of a few hundred bytes (a manifest, a stdin) was most of
 * what serving it cost; the libp2p stream rides the connection the fetch already has.
 */
export function isSingleBlock(root: CID): boolean {
  return root.code === RAW_CODE;
}

export type DirectFetchOptions = {
  /** Asking for a ticket, connecting and being accepted: past this, use the libp2p stream. */
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Told why the direct channel could not be made (the fetch goes on over the libp2p stream). */
  onUnavailable?: (reason: unknown) => void;
};

export type FetchBlocksOptions = {
  signal: AbortSignal;
  maxBlockBytes: number;
  highWaterBytes?: number;
  /**
   * Try a sealed direct channel first (BLOCK_DIRECT_PROTOCOL) for a DAG of more than one
   * block; without it, and for a single-block root, the libp2p stream only.
   */
  direct?: DirectFetchOptions;
  /** Gives the buffer each block is received into (by default a fresh one per block). */
  allocate?: (bytes: number) => Buffer;
  /** Waiting for a relayed connection's upgrade to a direct one (default DEFAULT_UPGRADE_WAIT_MS). */
  upgradeWaitMs?: number;
  /** Told which connection the blocks come over (direct or relayed: `isRelayed`). */
  onConnection?: (connection: Connection) => void;
};

type DirectChannel = { receiver: SealedReceiver; label: string };

/** The IP the libp2p connection reached the peer at, if it is a direct TCP connection. */
function tcpHost(addr: Multiaddr): string | undefined {
  const parts = addr.getComponents();
  if (parts.some((c) => c.name === "p2p-circuit") || !parts.some((c) => c.name === "tcp")) return undefined;
  return parts.find((c) => c.name === "ip4" || c.name === "ip6")?.value;
}

/** Whether the peer lists a TCP address on `host` among those it listens on (identify, DHT, registry). */
async function listensOn(libp2p: Libp2p, connection: Connection, host: string): Promise<boolean> {
  try {
    const peer = await libp2p.peerStore.get(connection.remotePeer);
    return peer.addresses.some((a) => tcpHost(a.multiaddr) === host);
  } catch {
    return false; // not in the peer store: nothing says it listens there
  }
}

async function openDirect(libp2p: Libp2p, connection: Connection, root: CID, direct: DirectFetchOptions, options: FetchBlocksOptions): Promise<DirectChannel> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(direct.connectTimeoutMs)]);
  // libp2p checks the peer id a /p2p/ multiaddr names, so the ticket comes from that peer
  // over noise, and only a holder of its key can open the channel or seal its records.
  const host = tcpHost(connection.remoteAddr);
  if (!host) throw new SealedChannelError(`the connection to ${connection.remotePeer} (${connection.remoteAddr}) is not direct TCP`);
  // A connection the peer opened comes from wherever it sits: behind a NAT that is the router's
  // address, where nothing listens, and a router that drops the dial costs the whole connect
  // timeout. Only an address we dialled, or one the peer says it listens on, is known to answer.
  if (connection.direction === "inbound" && !(await listensOn(libp2p, connection, host)))
    throw new SealedChannelError(`${connection.remotePeer} connected from ${connection.remoteAddr}, not an address it listens on (behind NAT?)`);
  const reply = await dialProtocol(libp2p, connection.remotePeer, BLOCK_DIRECT_PROTOCOL, Buffer.concat([Uint8Array.of(root.bytes.length), root.bytes]), {
    maxResponseBytes: 128,
    timeoutMs: direct.connectTimeoutMs,
    signal,
  });
  const { port, ticket } = decodeTicket(reply);
  const receiver = await connectSealed(host, port, ticket, {
    signal: options.signal,
    maxRecordBytes: options.maxBlockBytes,
    highWaterBytes: options.highWaterBytes ?? 8 * 1024 * 1024,
    idleTimeoutMs: direct.idleTimeoutMs,
    connectTimeoutMs: direct.connectTimeoutMs,
    allocate: options.allocate,
  });
  return { receiver, label: String(connection.remotePeer) };
}

/** The same checks as the libp2p block stream, one block per authenticated record. */
async function* receiveDirect({ receiver, label }: DirectChannel, root: CID, options: FetchBlocksOptions): AsyncGenerator<VerifiedBlock> {
  const pending = [root];
  // Leaving the loop (done, a throw, or the consumer stopping) closes the socket.
  for await (const record of receiver.records) {
    if (record.type === RECORD.error) throw new Error(`${label} could not send the DAG: ${new TextDecoder().decode(record.payload)}`);
    if (record.type !== RECORD.data) throw new SealedChannelError(`${label} sent a record of unknown type ${record.type}`);
    const cid = pending.pop();
    if (!cid) throw new CorruptBlockError(root.toString(), `peer ${label} (more blocks than the DAG holds)`);
    if (!matchesCid(cid, record.payload)) throw new CorruptBlockError(cid.toString(), `peer ${label}`);
    const links = childLinks(cid, record.payload);
    for (let i = links.length - 1; i >= 0; i--) pending.push(links[i]);
    yield { cid, bytes: record.payload };
    if (!pending.length) return;
  }
  throw new Error(`${label} ended the sealed channel with ${pending.length} blocks missing`);
}

/** The DAG over the libp2p block stream (noise + yamux), on `connection` (which may be relayed). */
async function* fetchOverStream(libp2p: Libp2p, peer: PeerId | Multiaddr, connection: Connection, root: CID, options: FetchBlocksOptions): AsyncGenerator<VerifiedBlock> {
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
          block = options.allocate ? options.allocate(length) : Buffer.allocUnsafe(length);
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

import type { Connection, Libp2p } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { CID } from "multiformats/cid";
import { dialProtocol, handleProtocol } from "../net/protocol.ts";
import type { BaseError } from "../errors.ts";
import { dagBlocks, type LocalBlockReader } from "./block-readers.ts";
import { connectDirectChannel, type ChannelReceiver } from "./channel-dialer.ts";
import type { ChannelSender, DirectChannelListener } from "./channel-listener.ts";
import { decodeTicket, encodeTicket, RECORD } from "./channel-records.ts";
import { DagOrder, type BlockReceiveOptions, type VerifiedBlock } from "./dag-order.ts";
import { DagNotServedError, DirectChannelError, InvalidBlockRequestError } from "./errors.ts";

/**
 * The direct path: a peer names a root on BLOCK_DIRECT_PROTOCOL (over its authenticated
 * libp2p connection) and gets a ticket for a direct channel (channel-records.ts) on which the
 * same blocks as the block stream's, in the same order, follow one per record.
 */
// 2.0.0: records are authenticated, not encrypted (1.0.0 peers fall back to the block stream).
export const BLOCK_DIRECT_PROTOCOL = "/accord/blocks-direct/2.0.0";
/** Longest error message the serving side sends before it ends a channel. */
const MAX_ERROR_MESSAGE_BYTES = 1024;

export type BlockDirectServeLimits = { maxInboundStreams: number; requestTimeoutMs: number };

/** Hands out tickets for `listener`'s channels and sends the named DAG on each. */
export async function serveBlockDirect(libp2p: Libp2p, reader: LocalBlockReader, limits: BlockDirectServeLimits, listener: DirectChannelListener): Promise<void> {
  await handleProtocol(
    libp2p,
    BLOCK_DIRECT_PROTOCOL,
    async (request) => {
      if (request.length < 1 || request.length !== 1 + request[0]) throw new InvalidBlockRequestError(BLOCK_DIRECT_PROTOCOL);
      const root = CID.decode(request.subarray(1));
      const ticket = listener.issue((sender) => void sendDag(sender, reader, root));
      // The dialer falls back to the block stream on any answer that is not a ticket.
      if (!ticket) throw new DirectChannelError("every channel is taken (content.directBlocksMaxChannels); use the block stream");
      return encodeTicket(listener.port, ticket);
    },
    { maxRequestBytes: 256, timeoutMs: limits.requestTimeoutMs, maxInboundStreams: limits.maxInboundStreams },
  );
}

async function sendDag(sender: ChannelSender, reader: LocalBlockReader, root: CID): Promise<void> {
  const stop = new AbortController();
  const onClose = () => stop.abort(new DirectChannelError("the peer closed the channel"));
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
      const reason = (err as BaseError)?.shortMessage ?? (err as Error)?.message ?? String(err);
      const message = new TextEncoder().encode(reason).subarray(0, MAX_ERROR_MESSAGE_BYTES);
      await sender.send(RECORD.error, message, stop.signal).catch(() => {});
      await sender.end().catch(() => {});
    }
    sender.socket.destroy();
  } finally {
    sender.socket.off("close", onClose);
    stop.abort();
  }
}

export type DirectFetchOptions = {
  /** Asking for a ticket, connecting and being accepted: past this, use the libp2p stream. */
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Told why the direct channel could not be made (the fetch goes on over the libp2p stream). */
  onUnavailable?: (reason: unknown) => void;
};

/** A channel the serving peer accepted, and the peer as errors name it. */
export type DirectChannel = { receiver: ChannelReceiver; label: string };

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

/** Asks the peer on `connection` for a ticket and opens its channel; DirectChannelError when there is none to be had. */
export async function openDirectChannel(libp2p: Libp2p, connection: Connection, root: CID, direct: DirectFetchOptions, options: BlockReceiveOptions): Promise<DirectChannel> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(direct.connectTimeoutMs)]);
  // libp2p checks the peer id a /p2p/ multiaddr names, so the ticket comes from that peer
  // over noise, and only a holder of its key can open the channel or tag its records.
  const host = tcpHost(connection.remoteAddr);
  if (!host) throw new DirectChannelError(`the connection to ${connection.remotePeer} (${connection.remoteAddr}) is not direct TCP`);
  // A connection the peer opened comes from wherever it sits: behind a NAT that is the router's
  // address, where nothing listens, and a router that drops the dial costs the whole connect
  // timeout. Only an address we dialled, or one the peer says it listens on, is known to answer.
  if (connection.direction === "inbound" && !(await listensOn(libp2p, connection, host)))
    throw new DirectChannelError(`${connection.remotePeer} connected from ${connection.remoteAddr}, not an address it listens on (behind NAT?)`);
  const reply = await dialProtocol(libp2p, connection.remotePeer, BLOCK_DIRECT_PROTOCOL, Buffer.concat([Uint8Array.of(root.bytes.length), root.bytes]), {
    maxResponseBytes: 128,
    timeoutMs: direct.connectTimeoutMs,
    signal,
  });
  const { port, ticket } = decodeTicket(reply);
  const receiver = await connectDirectChannel(host, port, ticket, {
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
export async function* receiveOverDirectChannel({ receiver, label }: DirectChannel, root: CID): AsyncGenerator<VerifiedBlock> {
  const order = new DagOrder(root, label);
  // Leaving the loop (done, a throw, or the consumer stopping) closes the socket.
  for await (const record of receiver.records) {
    if (record.type === RECORD.error) throw new DagNotServedError(label, root.toString(), new TextDecoder().decode(record.payload));
    if (record.type !== RECORD.data) throw new DirectChannelError(`${label} sent a record of unknown type ${record.type}`);
    yield order.accept(record.payload);
    if (order.complete) return;
  }
  order.assertComplete("direct channel");
}

import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { NET_LIMITS } from "./constants.ts";
import { InvalidPeerAddressError, MessageTooLargeError, ProtocolError, RemoteProtocolError } from "./errors.ts";

/**
 * Request/response over one libp2p stream. The request is every byte the dialer writes
 * before closing its write end; the response is one status byte (0 ok, 1 error) and then
 * the body until the listener closes. Both sides cap what they read and give up after a
 * timeout, so a peer can neither exhaust memory nor pin a stream open.
 */
const STATUS_OK = 0;
const STATUS_ERROR = 1;
const MAX_ERROR_MESSAGE_BYTES = 1024;

export type PeerTarget = PeerId | Multiaddr | Multiaddr[] | string;

export type ProtocolHandlerContext = { peer: PeerId; signal: AbortSignal };
/** Returns the response body, whole or as chunks; a throw sends its message to the dialer. */
export type ProtocolHandler = (request: Uint8Array, context: ProtocolHandlerContext) => Promise<Uint8Array | AsyncIterable<Uint8Array>>;

export type HandleProtocolOptions = {
  maxRequestBytes?: number;
  /** Whole exchange, from the stream opening to the last response byte. */
  timeoutMs?: number;
  maxInboundStreams?: number;
};

export type DialProtocolOptions = {
  maxResponseBytes?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
};

export function toDialTarget(target: PeerTarget): PeerId | Multiaddr | Multiaddr[] {
  if (typeof target !== "string") return target;
  try {
    return target.startsWith("/") ? multiaddr(target) : peerIdFromString(target);
  } catch (err) {
    throw new InvalidPeerAddressError(target, (err as Error).message);
  }
}

/** Sends every chunk, waiting for the muxer to drain when its buffer is full. */
export async function writeAll(stream: Stream, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<void> {
  for await (const chunk of chunks) {
    signal.throwIfAborted();
    if (chunk.length > 0 && !stream.send(chunk)) await stream.onDrain({ signal });
  }
}

/**
 * Reads a stream to its end, refusing more than `maxBytes`. Event-based rather than
 * `for await`: the stream's iterator misses a remote close that happened before it was
 * attached (the dialer's request often has, by the time the handler runs) and then hangs.
 */
export function readAll(stream: Stream, maxBytes: number, what: string, signal: AbortSignal): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let total = 0;
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      stream.removeEventListener("message", onMessage);
      stream.removeEventListener("end", onEnd);
      stream.removeEventListener("close", onClose);
      signal.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve(Buffer.concat(parts));
    };
    const onMessage = (evt: { data: { subarray(): Uint8Array } }) => {
      const bytes = evt.data.subarray();
      total += bytes.length;
      if (total > maxBytes) {
        // Settle first: abort() fires 'close' synchronously, which would resolve instead.
        const err = new MessageTooLargeError(what, maxBytes);
        finish(err);
        stream.abort(err);
        return;
      }
      parts.push(bytes);
    };
    const onEnd = () => finish();
    const onClose = (evt: Event) => finish((evt as Event & { error?: Error }).error ?? (stream.readableEnded ? undefined : new Error("the stream closed before its end")));
    const onAbort = () => {
      const reason = signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
      finish(reason);
      stream.abort(reason);
    };
    if (signal.aborted) return onAbort();
    stream.addEventListener("message", onMessage);
    stream.addEventListener("end", onEnd);
    stream.addEventListener("close", onClose);
    signal.addEventListener("abort", onAbort, { once: true });
    // Already ended with nothing buffered: no event will come.
    if (stream.readableEnded && stream.readBufferLength === 0) finish();
  });
}

export async function handleProtocol(libp2p: Libp2p, protocol: string, handler: ProtocolHandler, options: HandleProtocolOptions = {}): Promise<void> {
  const maxRequestBytes = options.maxRequestBytes ?? NET_LIMITS.maxRequestBytes;
  const timeoutMs = options.timeoutMs ?? NET_LIMITS.protocolTimeoutMs;
  await libp2p.handle(
    protocol,
    async (stream, connection) => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const request = await readAll(stream, maxRequestBytes, `${protocol} request`, signal);
        let response: Uint8Array | AsyncIterable<Uint8Array>;
        try {
          response = await handler(request, { peer: connection.remotePeer, signal });
        } catch (err) {
          const message = new TextEncoder().encode(String((err as Error)?.message ?? err)).subarray(0, MAX_ERROR_MESSAGE_BYTES);
          await writeAll(stream, [Uint8Array.of(STATUS_ERROR), message], signal);
          await stream.close({ signal });
          return;
        }
        await writeAll(stream, [Uint8Array.of(STATUS_OK)], signal);
        await writeAll(stream, response instanceof Uint8Array ? [response] : response, signal);
        await stream.close({ signal });
      } catch (err) {
        stream.abort(err as Error);
      }
    },
    // Requests are small: they may cross a relay (a node behind NAT is reached no other way).
    { maxInboundStreams: options.maxInboundStreams ?? NET_LIMITS.protocolMaxInboundStreams, runOnLimitedConnection: true },
  );
}

/** Sends `request` to `peer` on `protocol` and returns the response body. */
export async function dialProtocol(libp2p: Libp2p, peer: PeerTarget, protocol: string, request: Uint8Array, options: DialProtocolOptions = {}): Promise<Uint8Array> {
  const maxResponseBytes = options.maxResponseBytes ?? NET_LIMITS.maxResponseBytes;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? NET_LIMITS.protocolTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const label = typeof peer === "string" ? peer : peer.toString();
  let stream: Stream | undefined;
  try {
    stream = await libp2p.dialProtocol(toDialTarget(peer), protocol, { signal, runOnLimitedConnection: true });
    await writeAll(stream, [request], signal);
    await stream.close({ signal });
    const response = await readAll(stream, maxResponseBytes + 1, `${protocol} response`, signal);
    if (response.length === 0) throw new ProtocolError(protocol, label, "the peer closed the stream without answering");
    if (response[0] === STATUS_ERROR) throw new RemoteProtocolError(protocol, label, new TextDecoder().decode(response.subarray(1)));
    if (response[0] !== STATUS_OK) throw new ProtocolError(protocol, label, `unknown status byte ${response[0]}`);
    return response.subarray(1);
  } catch (err) {
    if (err instanceof RemoteProtocolError || err instanceof ProtocolError || err instanceof MessageTooLargeError || err instanceof InvalidPeerAddressError) throw err;
    stream?.abort(err as Error);
    if (timeout.aborted) throw new ProtocolError(protocol, label, `no answer within ${options.timeoutMs ?? NET_LIMITS.protocolTimeoutMs} ms`, { cause: err });
    if (options.signal?.aborted) throw err;
    throw new ProtocolError(protocol, label, (err as Error).message, { cause: err });
  }
}

import { pushable } from "it-pushable";
import { connect, type Socket } from "node:net";
import { hello, RECORD, RecordReader, type ChannelRecord, type ChannelTicket } from "./channel-records.ts";
import { DirectChannelError } from "./errors.ts";

/** The dialer's end of a direct channel once the listener accepted its ticket. */
export type ChannelReceiver = {
  records: AsyncGenerator<ChannelRecord>;
  socket: Socket;
};

export type ConnectDirectChannelOptions = {
  signal: AbortSignal;
  maxRecordBytes: number;
  /** Record bytes waiting for the consumer past which the socket stops reading. */
  highWaterBytes: number;
  idleTimeoutMs: number;
  /** Connecting and being accepted. */
  connectTimeoutMs: number;
  /** Gives each record's buffer (by default a fresh one). */
  allocate?: (bytes: number) => Buffer;
};

/**
 * Connects with a ticket and resolves once the listener accepted it (so a caller can fall
 * back to another path if this one cannot be made). `records` yields each authenticated
 * record after the accept; the socket stops reading while more than `highWaterBytes` of
 * records wait for the consumer, and TCP flow control stops the sender.
 */
export async function connectDirectChannel(host: string, port: number, ticket: ChannelTicket, options: ConnectDirectChannelOptions): Promise<ChannelReceiver> {
  const reader = new RecordReader(ticket.key, options.maxRecordBytes, options.allocate);
  const queue = pushable<ChannelRecord>({ objectMode: true });
  // Payload bytes in `queue` (its own count is of records).
  let queued = 0;
  let paused = false;
  const fail = (err: unknown) => {
    queue.end(err instanceof Error ? err : new DirectChannelError(String(err)));
    socket.destroy();
  };
  const socket = connect({
    host,
    port,
    noDelay: true,
    onread: {
      buffer: () => reader.buffer(),
      callback: (n: number) => {
        let record: ChannelRecord | undefined;
        try {
          record = reader.filled(n);
        } catch (err) {
          fail(err);
          return false;
        }
        if (!record) return true;
        queue.push(record);
        queued += record.payload.length;
        if (queued > options.highWaterBytes) {
          paused = true;
          return false;
        }
        return true;
      },
    },
  });
  socket.on("error", fail);
  socket.on("end", () => queue.end());
  socket.on("close", () => queue.end());
  const onAbort = () => fail(options.signal.reason);
  options.signal.addEventListener("abort", onAbort, { once: true });
  const connectTimer = setTimeout(() => fail(new DirectChannelError(`no answer from ${host}:${port} within ${options.connectTimeoutMs} ms (content.directBlocksConnectTimeoutMs)`)), options.connectTimeoutMs);
  socket.once("connect", () => socket.write(hello(ticket)));

  async function next(): Promise<ChannelRecord | undefined> {
    const { done, value } = await queue.next();
    if (done) return undefined;
    queued -= value.payload.length;
    if (paused && queued < options.highWaterBytes / 2) {
      paused = false;
      socket.resume();
    }
    return value;
  }

  try {
    const first = await next();
    if (!first || first.type !== RECORD.accept) throw new DirectChannelError(`${host}:${port} did not accept the ticket`);
  } catch (err) {
    options.signal.removeEventListener("abort", onAbort);
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(connectTimer);
  }
  socket.setTimeout(options.idleTimeoutMs, () => fail(new DirectChannelError(`the channel to ${host}:${port} was idle for ${options.idleTimeoutMs} ms (content.directBlocksIdleTimeoutMs)`)));

  async function* records(): AsyncGenerator<ChannelRecord> {
    try {
      for (let record = await next(); record; record = await next()) yield record;
    } finally {
      options.signal.removeEventListener("abort", onAbort);
      socket.destroy();
    }
  }
  return { records: records(), socket };
}

import { createServer, type Server, type Socket } from "node:net";
import { HELLO_BYTES, helloTicketKey, helloValid, newTicket, tagRecord, ticketKey, type ChannelTicket } from "./channel-records.ts";
import { DirectChannelError } from "./errors.ts";

/** The listener's end of one direct channel: authenticated records out, with backpressure. */
export class ChannelSender {
  readonly socket: Socket;
  readonly #key: Uint8Array;
  readonly #highWaterBytes: number;
  #index = 0;

  constructor(socket: Socket, key: Uint8Array, highWaterBytes: number) {
    this.socket = socket;
    this.#key = key;
    this.#highWaterBytes = highWaterBytes;
  }

  /**
   * Queues one record; waits while more than the high-water mark is still unsent. The
   * socket writes `payload` itself, not a copy: it must not change until `onWritten` runs
   * (after the kernel took it, or the channel failed).
   */
  async send(type: number, payload: Uint8Array, signal: AbortSignal, onWritten?: () => void): Promise<void> {
    signal.throwIfAborted();
    if (this.socket.destroyed) throw new DirectChannelError("the peer closed the channel");
    const [header, body, tag] = tagRecord(this.#key, this.#index++, type, payload);
    // One writev for the three parts.
    this.socket.cork();
    this.socket.write(header);
    this.socket.write(body);
    this.socket.write(tag, onWritten && (() => onWritten()));
    this.socket.uncork();
    if (this.socket.writableLength > this.#highWaterBytes) await drained(this.socket, signal);
  }

  /** Ends the channel once every record is written. */
  end(): Promise<void> {
    return new Promise((resolve) => this.socket.end(resolve));
  }
}

function drained(socket: Socket, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      signal.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new DirectChannelError("the peer closed the channel"));
    const onAbort = () => done(signal.reason);
    socket.on("drain", onDrain);
    socket.on("close", onClose);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export type DirectChannelListenerOptions = {
  host: string;
  port: number;
  /** A ticket not used within this time is void; so is a connection that has not said hello. */
  ticketTimeoutMs: number;
  /** Tickets outstanding plus channels open; more are refused (the dialer falls back). */
  maxChannels: number;
  /** A channel with no traffic for this long is closed. */
  idleTimeoutMs: number;
  /** Unsent bytes a sender queues before it waits. */
  highWaterBytes: number;
};

type Pending = { ticket: ChannelTicket; onOpen: (sender: ChannelSender) => void; timer: NodeJS.Timeout };

/**
 * Accepts direct channels for tickets it issued. A connection that does not present a
 * valid, unused ticket with proof of its key within the ticket timeout is dropped unread.
 */
export class DirectChannelListener {
  readonly #options: DirectChannelListenerOptions;
  readonly #server: Server;
  readonly #pending = new Map<string, Pending>();
  readonly #sockets = new Set<Socket>();
  #open = 0;
  port = 0;

  constructor(options: DirectChannelListenerOptions) {
    this.#options = options;
    this.#server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    this.port = (this.#server.address() as { port: number }).port;
  }

  /** Issues a ticket; `onOpen` runs once its holder connects. Undefined when at capacity. */
  issue(onOpen: (sender: ChannelSender) => void): ChannelTicket | undefined {
    if (!this.#server.listening || this.#pending.size + this.#open >= this.#options.maxChannels) return undefined;
    const ticket = newTicket();
    const key = ticketKey(ticket.id);
    const timer = setTimeout(() => this.#pending.delete(key), this.#options.ticketTimeoutMs);
    timer.unref();
    this.#pending.set(key, { ticket, onOpen, timer });
    return ticket;
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(this.#options.ticketTimeoutMs, () => socket.destroy());
    let got = Buffer.alloc(0);
    const onHello = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < HELLO_BYTES) return;
      socket.off("data", onHello);
      const key = helloTicketKey(got);
      const pending = this.#pending.get(key);
      // Anything after the hello, a wrong proof or an unknown ticket: not our dialer.
      if (got.length !== HELLO_BYTES || !pending || !helloValid(pending.ticket, got)) return void socket.destroy();
      this.#pending.delete(key);
      clearTimeout(pending.timer);
      this.#open++;
      socket.once("close", () => this.#open--);
      socket.setTimeout(this.#options.idleTimeoutMs, () => socket.destroy(new DirectChannelError(`the channel was idle for ${this.#options.idleTimeoutMs} ms`)));
      // The dialer sends nothing more; it may only close.
      socket.on("data", () => socket.destroy());
      pending.onOpen(new ChannelSender(socket, pending.ticket.key, this.#options.highWaterBytes));
    };
    socket.on("data", onHello);
  }

  async close(): Promise<void> {
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
    for (const s of this.#sockets) s.destroy();
    if (this.#server.listening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

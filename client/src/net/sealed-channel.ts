import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A sealed bulk channel: a plain TCP socket whose records are authenticated (AES-256-GCM
 * with the record as associated data, i.e. GMAC) under a fresh key that the two peers
 * agreed over their authenticated libp2p connection (the listener makes a ticket, an id and
 * a key, and hands it over noise to the peer it authenticated). Only that peer can prove it
 * holds the key when it connects, and only the listener can make records the dialer
 * accepts, so the bytes still come from the peer id the dialer asked and nobody on the path
 * can change, reorder, drop or inject one.
 *
 * Records are not encrypted: they carry blocks of public content (anyone who knows a CID may
 * fetch it from any peer, and every block is checked against its CID on arrival), and a
 * cipher's output buffer per record plus its pass over the bytes were a fifth of the
 * sender's CPU per MiB. Results are sealed to their requester before they are blocks. The
 * argument is in docs/PROTOCOL.md ("Direct block channel").
 *
 * Why not the libp2p stream: on loopback a bare noise+yamux stream costs 7-9 ms of CPU per
 * MiB on each side (libp2p's stream machinery, 64 KiB noise messages, copies), against
 * ~2 ms for a plain socket; see docs/PROTOCOL.md. Here a record is one block (≤ 2 MiB): the
 * sender writes the block's own buffer, and the dialer reads each record straight into the
 * buffer it then hashes, stores and hands on.
 *
 * Record: type (1 byte) | payload length (4 bytes, big-endian) | payload | 16-byte tag, the
 * tag over header and payload, nonce = direction (4 bytes) | record index (8 bytes, BE).
 */
export const RECORD_HEADER_BYTES = 5;
export const RECORD_TAG_BYTES = 16;
const KEY_BYTES = 32;
const ID_BYTES = 16;
const CIPHER = "aes-256-gcm";
/** Nonce directions: records the listener sends, and the dialer's proof of the key. */
const FROM_LISTENER = 0;
const FROM_DIALER = 1;
const HELLO_AAD = new TextEncoder().encode("accord/sealed-channel/v2 hello");
const HELLO_BYTES = ID_BYTES + RECORD_TAG_BYTES;

/** Record types. `accept` opens the channel; `error` carries a UTF-8 message and ends it. */
export const RECORD = { accept: 0, data: 1, error: 2 } as const;

export type SealedTicket = { id: Uint8Array; key: Uint8Array };
export type SealedRecord = { type: number; payload: Uint8Array };

export class SealedChannelError extends Error {
  override name = "SealedChannelError";
}

function nonce(direction: number, index: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32BE(direction, 0);
  n.writeUInt32BE(Math.floor(index / 2 ** 32), 4);
  n.writeUInt32BE(index >>> 0, 8);
  return n;
}

export function newTicket(): SealedTicket {
  return { id: randomBytes(ID_BYTES), key: randomBytes(KEY_BYTES) };
}

/** The ticket as the listener hands it to the dialer over libp2p: port (2 bytes) | id | key. */
export function encodeTicket(port: number, ticket: SealedTicket): Uint8Array {
  const out = Buffer.alloc(2 + ID_BYTES + KEY_BYTES);
  out.writeUInt16BE(port, 0);
  out.set(ticket.id, 2);
  out.set(ticket.key, 2 + ID_BYTES);
  return out;
}

export function decodeTicket(bytes: Uint8Array): { port: number; ticket: SealedTicket } {
  if (bytes.length !== 2 + ID_BYTES + KEY_BYTES) throw new SealedChannelError(`a sealed-channel ticket is ${2 + ID_BYTES + KEY_BYTES} bytes, not ${bytes.length}`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return { port: b.readUInt16BE(0), ticket: { id: b.subarray(2, 2 + ID_BYTES), key: b.subarray(2 + ID_BYTES) } };
}

/** The dialer's first bytes: the ticket id and a tag that only the key's holder can make. */
function hello(ticket: SealedTicket): Uint8Array {
  const c = createCipheriv(CIPHER, ticket.key, nonce(FROM_DIALER, 0));
  c.setAAD(Buffer.concat([HELLO_AAD, ticket.id]));
  c.final();
  return Buffer.concat([ticket.id, c.getAuthTag()]);
}

function helloValid(ticket: SealedTicket, tag: Uint8Array): boolean {
  const d = createDecipheriv(CIPHER, ticket.key, nonce(FROM_DIALER, 0));
  d.setAAD(Buffer.concat([HELLO_AAD, ticket.id]));
  d.setAuthTag(tag);
  try {
    d.final();
    return true;
  } catch {
    return false;
  }
}

/** The tag of one record: GMAC over its header and payload (nothing to encrypt, so no output buffer). */
function recordTag(key: Uint8Array, index: number, header: Uint8Array, payload: Uint8Array): Buffer {
  const c = createCipheriv(CIPHER, key, nonce(FROM_LISTENER, index));
  c.setAAD(header);
  c.setAAD(payload);
  c.final();
  return c.getAuthTag();
}

function recordHeader(type: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header[0] = type;
  header.writeUInt32BE(length, 1);
  return header;
}

/** Seals one record: the three buffers to write (header, the payload itself, tag). */
export function sealRecord(key: Uint8Array, index: number, type: number, payload: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const header = recordHeader(type, payload.length);
  return [header, payload, recordTag(key, index, header, payload)];
}

/**
 * Opens sealed records as their bytes arrive, each read straight into a buffer of its own
 * (the payload handed on is a view of it: no copy, and no 64 KiB reads to join up). Feed it
 * through `buffer()` / `filled(n)`; it returns each record once its tag checked out, and
 * throws at the first that does not.
 */
export class RecordOpener {
  readonly #key: Uint8Array;
  readonly #maxPayload: number;
  readonly #header = Buffer.alloc(RECORD_HEADER_BYTES);
  #body: Buffer = Buffer.alloc(0);
  #fill = 0;
  /** Payload length of the record being read, or -1 while its header is. */
  #length = -1;
  #index = 0;

  readonly #allocate: (bytes: number) => Buffer;

  /** `allocate` gives each record's buffer (payload and tag); by default a fresh one. */
  constructor(key: Uint8Array, maxPayloadBytes: number, allocate: (bytes: number) => Buffer = Buffer.allocUnsafeSlow) {
    this.#key = key;
    this.#maxPayload = maxPayloadBytes;
    this.#allocate = allocate;
  }

  /** Where the next bytes go: never past the end of the current header or record. */
  buffer(): Uint8Array {
    return this.#length < 0 ? this.#header.subarray(this.#fill) : this.#body.subarray(this.#fill);
  }

  /** `n` bytes were written into the last buffer(); a record, when that completed one. */
  filled(n: number): SealedRecord | undefined {
    this.#fill += n;
    if (this.#length < 0) {
      if (this.#fill < RECORD_HEADER_BYTES) return undefined;
      const length = this.#header.readUInt32BE(1);
      if (length > this.#maxPayload) throw new SealedChannelError(`a ${length}-byte record, over the ${this.#maxPayload}-byte limit`);
      // A buffer per record: the consumer keeps the payload (the reader, the disk write).
      this.#body = this.#allocate(length + RECORD_TAG_BYTES);
      this.#length = length;
      this.#fill = 0;
    }
    if (this.#fill < this.#length + RECORD_TAG_BYTES) return undefined;
    return this.#open();
  }

  #open(): SealedRecord {
    const length = this.#length;
    const payload = this.#body.subarray(0, length);
    const d = createDecipheriv(CIPHER, this.#key, nonce(FROM_LISTENER, this.#index++));
    d.setAAD(this.#header);
    d.setAAD(payload);
    d.setAuthTag(this.#body.subarray(length, length + RECORD_TAG_BYTES));
    try {
      d.final();
    } catch {
      throw new SealedChannelError(`record ${this.#index - 1} failed authentication (changed, reordered or injected on the way)`);
    }
    this.#length = -1;
    this.#fill = 0;
    this.#body = Buffer.alloc(0);
    return { type: this.#header[0], payload };
  }
}

/** The listener's end of one channel: sealed records out, with backpressure. */
export class SealedSender {
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
    if (this.socket.destroyed) throw new SealedChannelError("the peer closed the sealed channel");
    const [header, body, tag] = sealRecord(this.#key, this.#index++, type, payload);
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
    const done = (err?: Error) => {
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      signal.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new SealedChannelError("the peer closed the sealed channel"));
    const onAbort = () => done(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    socket.on("drain", onDrain);
    socket.on("close", onClose);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export type SealedListenerOptions = {
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

type Pending = { ticket: SealedTicket; onOpen: (sender: SealedSender) => void; timer: NodeJS.Timeout };

/**
 * Accepts sealed channels for tickets it issued. A connection that does not present a
 * valid, unused ticket with proof of its key within the ticket timeout is dropped unread.
 */
export class SealedListener {
  readonly #options: SealedListenerOptions;
  readonly #server: Server;
  readonly #pending = new Map<string, Pending>();
  readonly #sockets = new Set<Socket>();
  #open = 0;
  port = 0;

  constructor(options: SealedListenerOptions) {
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
  issue(onOpen: (sender: SealedSender) => void): SealedTicket | undefined {
    if (!this.#server.listening || this.#pending.size + this.#open >= this.#options.maxChannels) return undefined;
    const ticket = newTicket();
    const key = Buffer.from(ticket.id).toString("hex");
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
      const key = got.subarray(0, ID_BYTES).toString("hex");
      const pending = this.#pending.get(key);
      // Anything after the hello, a wrong proof or an unknown ticket: not our dialer.
      if (got.length !== HELLO_BYTES || !pending || !helloValid(pending.ticket, got.subarray(ID_BYTES))) return void socket.destroy();
      this.#pending.delete(key);
      clearTimeout(pending.timer);
      this.#open++;
      socket.once("close", () => this.#open--);
      socket.setTimeout(this.#options.idleTimeoutMs, () => socket.destroy(new SealedChannelError("the sealed channel was idle too long")));
      // The dialer sends nothing more; it may only close.
      socket.on("data", () => socket.destroy());
      pending.onOpen(new SealedSender(socket, pending.ticket.key, this.#options.highWaterBytes));
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

export type SealedReceiver = {
  records: AsyncGenerator<SealedRecord>;
  socket: Socket;
};

/**
 * Connects with a ticket and resolves once the listener accepted it (so a caller can fall
 * back to another path if this one cannot be made). `records` yields each authenticated
 * record after the accept; the socket stops reading while more than `highWaterBytes` of
 * records wait for the consumer, and TCP flow control stops the sender.
 */
export async function connectSealed(
  host: string,
  port: number,
  ticket: SealedTicket,
  options: { signal: AbortSignal; maxRecordBytes: number; highWaterBytes: number; idleTimeoutMs: number; connectTimeoutMs: number; allocate?: (bytes: number) => Buffer },
): Promise<SealedReceiver> {
  const opener = new RecordOpener(ticket.key, options.maxRecordBytes, options.allocate);
  const queue: SealedRecord[] = [];
  let queued = 0;
  let paused = false;
  let ended = false;
  let error: unknown;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  const fail = (err: unknown) => {
    error ??= err;
    ended = true;
    socket.destroy();
    poke();
  };
  const socket = connect({
    host,
    port,
    noDelay: true,
    onread: {
      buffer: () => opener.buffer(),
      callback: (n: number) => {
        let record: SealedRecord | undefined;
        try {
          record = opener.filled(n);
        } catch (err) {
          fail(err);
          return false;
        }
        if (!record) return true;
        queue.push(record);
        queued += record.payload.length;
        poke();
        if (queued > options.highWaterBytes) {
          paused = true;
          return false;
        }
        return true;
      },
    },
  });
  socket.on("error", (err) => fail(err));
  socket.on("end", () => {
    ended = true;
    poke();
  });
  socket.on("close", () => {
    ended = true;
    poke();
  });
  const onAbort = () => fail(options.signal.reason);
  options.signal.addEventListener("abort", onAbort, { once: true });
  const connectTimer = setTimeout(() => fail(new SealedChannelError(`no answer from ${host}:${port} within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
  socket.once("connect", () => socket.write(hello(ticket)));

  async function next(): Promise<SealedRecord | undefined> {
    while (true) {
      const record = queue.shift();
      if (record) {
        queued -= record.payload.length;
        if (paused && queued < options.highWaterBytes / 2) {
          paused = false;
          socket.resume();
        }
        return record;
      }
      if (error) throw error;
      if (ended) return undefined;
      await new Promise<void>((r) => (wake = r));
    }
  }

  try {
    const first = await next();
    if (!first || first.type !== RECORD.accept) throw new SealedChannelError(`${host}:${port} did not accept the ticket`);
  } catch (err) {
    clearTimeout(connectTimer);
    options.signal.removeEventListener("abort", onAbort);
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(connectTimer);
  }
  socket.setTimeout(options.idleTimeoutMs, () => fail(new SealedChannelError(`the sealed channel to ${host}:${port} was idle for ${options.idleTimeoutMs} ms`)));

  async function* records(): AsyncGenerator<SealedRecord> {
    try {
      while (true) {
        const record = await next();
        if (!record) return;
        yield record;
      }
    } finally {
      options.signal.removeEventListener("abort", onAbort);
      socket.destroy();
    }
  }
  return { records: records(), socket };
}

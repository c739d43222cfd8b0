import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DirectChannelError } from "./errors.ts";

/**
 * The direct block channel's wire format. The channel is a plain TCP socket whose records
 * are authenticated (AES-256-GCM with the record as associated data, i.e. GMAC) under a fresh
 * key that the two peers agreed over their authenticated libp2p connection (the listener
 * makes a ticket, an id and a key, and hands it over noise to the peer it authenticated).
 * Only that peer can prove it holds the key when it connects, and only the listener can make
 * records the dialer accepts, so the bytes still come from the peer id the dialer asked and
 * nobody on the path can change, reorder, drop or inject one.
 *
 * Records are not encrypted: they carry blocks of public content (anyone who knows a CID may
 * fetch it from any peer, and every block is checked against its CID on arrival), and a
 * cipher's output buffer per record plus its pass over the bytes were a fifth of the
 * sender's CPU per MiB. Results are sealed to their requester before they are blocks. The
 * rule is in docs/PROTOCOL.md ("Direct block channel"), the measurements in bench/README.md.
 *
 * Why not the libp2p stream: on loopback a bare noise+yamux stream costs 7-9 ms of CPU per
 * MiB on each side (libp2p's stream machinery, 64 KiB noise messages, copies), against
 * ~2 ms for a plain socket. Here a record is one block (≤ 2 MiB): the sender writes the
 * block's own buffer, and the dialer reads each record straight into the buffer it then
 * hashes, stores and hands on.
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
// The wire name the channel had when it was called "sealed": peers of /accord/blocks-direct/2.0.0 check it.
const HELLO_AAD = new TextEncoder().encode("accord/sealed-channel/v2 hello");
export const HELLO_BYTES = ID_BYTES + RECORD_TAG_BYTES;

/** Record types. `accept` opens the channel; `error` carries a UTF-8 message and ends it. */
export const RECORD = { accept: 0, data: 1, error: 2 } as const;

/** What the listener hands the dialer: which channel (`id`) and the key its records are tagged with. */
export type ChannelTicket = { id: Uint8Array; key: Uint8Array };
export type ChannelRecord = { type: number; payload: Uint8Array };

function nonce(direction: number, index: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32BE(direction, 0);
  n.writeUInt32BE(Math.floor(index / 2 ** 32), 4);
  n.writeUInt32BE(index >>> 0, 8);
  return n;
}

export function newTicket(): ChannelTicket {
  return { id: randomBytes(ID_BYTES), key: randomBytes(KEY_BYTES) };
}

/** The ticket id as a map key. */
export function ticketKey(id: Uint8Array): string {
  return Buffer.from(id).toString("hex");
}

/** The ticket as the listener hands it to the dialer over libp2p: port (2 bytes) | id | key. */
export function encodeTicket(port: number, ticket: ChannelTicket): Uint8Array {
  const out = Buffer.alloc(2 + ID_BYTES + KEY_BYTES);
  out.writeUInt16BE(port, 0);
  out.set(ticket.id, 2);
  out.set(ticket.key, 2 + ID_BYTES);
  return out;
}

export function decodeTicket(bytes: Uint8Array): { port: number; ticket: ChannelTicket } {
  if (bytes.length !== 2 + ID_BYTES + KEY_BYTES) throw new DirectChannelError(`a ticket is ${2 + ID_BYTES + KEY_BYTES} bytes, the peer sent ${bytes.length}`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return { port: b.readUInt16BE(0), ticket: { id: b.subarray(2, 2 + ID_BYTES), key: b.subarray(2 + ID_BYTES) } };
}

/** The dialer's first bytes: the ticket id and a tag that only the key's holder can make. */
export function hello(ticket: ChannelTicket): Uint8Array {
  const c = createCipheriv(CIPHER, ticket.key, nonce(FROM_DIALER, 0));
  c.setAAD(Buffer.concat([HELLO_AAD, ticket.id]));
  c.final();
  return Buffer.concat([ticket.id, c.getAuthTag()]);
}

/** The ticket id a hello names. */
export function helloTicketKey(hello: Uint8Array): string {
  return ticketKey(hello.subarray(0, ID_BYTES));
}

/** Whether `hello` proves its sender holds `ticket`'s key. */
export function helloValid(ticket: ChannelTicket, hello: Uint8Array): boolean {
  const d = createDecipheriv(CIPHER, ticket.key, nonce(FROM_DIALER, 0));
  d.setAAD(Buffer.concat([HELLO_AAD, ticket.id]));
  d.setAuthTag(hello.subarray(ID_BYTES));
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

/** One record as the three buffers to write: header, the payload itself, and the tag over both. */
export function tagRecord(key: Uint8Array, index: number, type: number, payload: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const header = recordHeader(type, payload.length);
  return [header, payload, recordTag(key, index, header, payload)];
}

/**
 * Reads records as their bytes arrive, each straight into a buffer of its own (the payload
 * handed on is a view of it: no copy, and no 64 KiB reads to join up). Feed it through
 * `buffer()` / `filled(n)`; it returns each record once its tag checked out, and throws
 * DirectChannelError at the first that does not.
 */
export class RecordReader {
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
  filled(n: number): ChannelRecord | undefined {
    this.#fill += n;
    if (this.#length < 0) {
      if (this.#fill < RECORD_HEADER_BYTES) return undefined;
      const length = this.#header.readUInt32BE(1);
      if (length > this.#maxPayload) throw new DirectChannelError(`the peer announced a ${length}-byte record, over the ${this.#maxPayload}-byte limit (content.maxBlockBytes)`);
      // A buffer per record: the consumer keeps the payload (the reader, the disk write).
      this.#body = this.#allocate(length + RECORD_TAG_BYTES);
      this.#length = length;
      this.#fill = 0;
    }
    if (this.#fill < this.#length + RECORD_TAG_BYTES) return undefined;
    return this.#authenticate();
  }

  #authenticate(): ChannelRecord {
    const length = this.#length;
    const payload = this.#body.subarray(0, length);
    const d = createDecipheriv(CIPHER, this.#key, nonce(FROM_LISTENER, this.#index++));
    d.setAAD(this.#header);
    d.setAAD(payload);
    d.setAuthTag(this.#body.subarray(length, length + RECORD_TAG_BYTES));
    try {
      d.final();
    } catch {
      throw new DirectChannelError(`record ${this.#index - 1} failed authentication (changed, reordered or injected on the way)`);
    }
    this.#length = -1;
    this.#fill = 0;
    this.#body = Buffer.alloc(0);
    return { type: this.#header[0], payload };
  }
}

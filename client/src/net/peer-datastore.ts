import type { AbortOptions } from "@libp2p/interface";
import { FsDatastore } from "datastore-fs";
import type { Key } from "interface-datastore";

const PEERS = "/peers/";
const MAX_CACHED_PEERS = 4096;
/**
 * A record that differs from the one on disk only in its `updated` time is written again
 * once this much older than it. libp2p's peer store rewrites a peer's record on every stream
 * it opens or accepts (to add the stream's protocol, which the record almost always has),
 * stamping it with the time: a file write per stream. The stamp matters only for expiry (a
 * record not updated for 6 hours and with no address seen for 1 hour is dropped at load), so
 * a restarted node loses nothing it keeps now by finding one up to this much older.
 */
export const PEER_RECORD_REFRESH_MS = 10 * 60_000;
/**
 * The peer store's record (libp2p's Peer message) keeps its `updated` time in field 8, a
 * varint. Read here because no public API serves: @libp2p/peer-store exports only
 * persistentPeerStore (its Peer codec, pb/peer.js, is outside the package's exports), and
 * neither it nor libp2p's config has a setting to skip a rewrite that changes only the time.
 * Should the format change, splitUpdated finds no field 8 and every record is written as before.
 */
const UPDATED_FIELD = 8;

/** A peer record split into its `updated` time and every other field's bytes, in order. */
type Stamped = { rest: Uint8Array; updated: number };

/**
 * The node's datastore (datastore-fs), with the peer store's records also kept in memory.
 * libp2p's peer store has no cache of its own: every DHT request a node answers reads the
 * records of the ~20 closest peers, each a file read, and every lookup it makes reads more.
 * Writes still go to disk first, so the files remain what a restart loads, except a record
 * whose only change is its `updated` time (see PEER_RECORD_REFRESH_MS).
 */
export class NodeDatastore extends FsDatastore {
  readonly #peers = new Map<string, Uint8Array>();
  /** What the file of each cached peer record holds, as far as this process knows. */
  readonly #onDisk = new Map<string, Stamped>();
  /** Bumped by every write of a peer record, so a read that raced a write does not cache the old bytes. */
  #writes = 0;

  override async get(key: Key, options?: AbortOptions): Promise<Uint8Array> {
    const k = key.toString();
    if (!k.startsWith(PEERS)) return super.get(key, options);
    const cached = this.#peers.get(k);
    if (cached) return cached;
    const writes = this.#writes;
    const value = await super.get(key, options);
    if (writes === this.#writes) this.#remember(k, value, splitUpdated(value));
    return value;
  }

  override async has(key: Key, options?: AbortOptions): Promise<boolean> {
    if (this.#peers.has(key.toString())) return true;
    return super.has(key, options);
  }

  override async put(key: Key, value: Uint8Array, options?: AbortOptions): Promise<Key> {
    const k = key.toString();
    if (!k.startsWith(PEERS)) return super.put(key, value, options);
    const stamped = splitUpdated(value);
    const disk = this.#onDisk.get(k);
    if (stamped && disk && Buffer.from(stamped.rest).equals(disk.rest) && stamped.updated - disk.updated < PEER_RECORD_REFRESH_MS) {
      // Only the time changed: readers in this process see the new record, the file keeps the old one.
      this.#writes++;
      this.#remember(k, value, disk);
      return key;
    }
    this.#writes++;
    this.#forget(k);
    await super.put(key, value, options);
    this.#writes++;
    this.#remember(k, value, stamped);
    return key;
  }

  override async delete(key: Key, options?: AbortOptions): Promise<void> {
    const k = key.toString();
    if (k.startsWith(PEERS)) {
      this.#writes++;
      this.#forget(k);
    }
    await super.delete(key, options);
  }

  /** `disk`: what the record's file holds (unknown: the next put writes it). */
  #remember(k: string, value: Uint8Array, disk: Stamped | undefined): void {
    this.#forget(k);
    this.#peers.set(k, value);
    if (disk) this.#onDisk.set(k, disk);
    // Oldest first in a Map: drop the least recently stored.
    if (this.#peers.size > MAX_CACHED_PEERS) this.#forget(this.#peers.keys().next().value!);
  }

  #forget(k: string): void {
    this.#peers.delete(k);
    this.#onDisk.delete(k);
  }
}

/**
 * Reads the top-level fields of a protobuf message and takes field 8 (`updated`) out.
 * Undefined for bytes that do not parse, or without the field: such a record is always written.
 */
export function splitUpdated(bytes: Uint8Array): Stamped | undefined {
  const parts: Uint8Array[] = [];
  let updated: number | undefined;
  let i = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (i >= bytes.length) return undefined;
      const b = bytes[i++];
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    return undefined;
  };
  while (i < bytes.length) {
    const start = i;
    const tag = varint();
    if (tag === undefined) return undefined;
    const wireType = tag % 8;
    let value: number | undefined;
    if (wireType === 0) value = varint();
    else if (wireType === 1) i += 8;
    else if (wireType === 5) i += 4;
    else if (wireType === 2) {
      const length = varint();
      if (length === undefined) return undefined;
      i += length;
    } else return undefined;
    if (i > bytes.length || (wireType === 0 && value === undefined)) return undefined;
    if (Math.floor(tag / 8) === UPDATED_FIELD && wireType === 0) updated = value;
    else parts.push(bytes.subarray(start, i));
  }
  if (updated === undefined) return undefined;
  return { rest: Buffer.concat(parts), updated };
}

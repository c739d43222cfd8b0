import type { AbortOptions } from "@libp2p/interface";
import { FsDatastore } from "datastore-fs";
import type { Key } from "interface-datastore";

const PEERS = "/peers/";
const MAX_CACHED_PEERS = 4096;

/**
 * The node's datastore (datastore-fs), with the peer store's records also kept in memory.
 * libp2p's peer store has no cache of its own: every DHT request a node answers reads the
 * records of the ~20 closest peers, each a file read, and every lookup it makes reads more.
 * Writes still go to disk first, so the files remain what a restart loads.
 */
export class NodeDatastore extends FsDatastore {
  readonly #peers = new Map<string, Uint8Array>();
  /** Bumped by every write of a peer record, so a read that raced a write does not cache the old bytes. */
  #writes = 0;

  override async get(key: Key, options?: AbortOptions): Promise<Uint8Array> {
    const k = key.toString();
    if (!k.startsWith(PEERS)) return super.get(key, options);
    const cached = this.#peers.get(k);
    if (cached) return cached;
    const writes = this.#writes;
    const value = await super.get(key, options);
    if (writes === this.#writes) this.#remember(k, value);
    return value;
  }

  override async has(key: Key, options?: AbortOptions): Promise<boolean> {
    if (this.#peers.has(key.toString())) return true;
    return super.has(key, options);
  }

  override async put(key: Key, value: Uint8Array, options?: AbortOptions): Promise<Key> {
    const k = key.toString();
    if (!k.startsWith(PEERS)) return super.put(key, value, options);
    this.#writes++;
    this.#peers.delete(k);
    await super.put(key, value, options);
    this.#writes++;
    this.#remember(k, value);
    return key;
  }

  override async delete(key: Key, options?: AbortOptions): Promise<void> {
    const k = key.toString();
    if (k.startsWith(PEERS)) {
      this.#writes++;
      this.#peers.delete(k);
    }
    await super.delete(key, options);
  }

  #remember(k: string, value: Uint8Array): void {
    this.#peers.delete(k);
    this.#peers.set(k, value);
    // Oldest first in a Map: drop the least recently stored.
    if (this.#peers.size > MAX_CACHED_PEERS) this.#peers.delete(this.#peers.keys().next().value!);
  }
}

import type { AbortOptions } from "@libp2p/interface";
import type { Blockstore, InputPair, Pair } from "interface-blockstore";
import type { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { joinChunks } from "../transfer/block-readers.ts";
import { matchesCid } from "../transfer/dag-order.ts";
import { CorruptBlockError } from "../transfer/errors.ts";

/**
 * Checks every block read from disk against its CID. Blocks from the network are checked
 * by Helia before they are stored; this catches what the disk did to them since, so a
 * provider never runs a job on rotten input and never serves rotten blocks to peers.
 */
export class VerifyingBlockstore implements Blockstore {
  readonly child: Blockstore;
  readonly where: string;
  constructor(child: Blockstore, where = "the local store") {
    this.child = child;
    this.where = where;
  }

  private verified(cid: CID, bytes: Uint8Array): Uint8Array {
    if (cid.multihash.code !== sha256.code) throw new CorruptBlockError(cid.toString(), `${this.where} (hash 0x${cid.multihash.code.toString(16)} is not accepted)`);
    if (!matchesCid(cid, bytes)) throw new CorruptBlockError(cid.toString(), this.where);
    return bytes;
  }

  async *get(cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    yield this.verified(cid, await joinChunks(this.child.get(cid, options)));
  }

  async *getMany(cids: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<Pair> {
    for await (const { cid, bytes } of this.child.getMany(cids, options)) {
      const block = this.verified(cid, await joinChunks(bytes));
      yield { cid, bytes: (async function* () { yield block; })() };
    }
  }

  put(cid: CID, bytes: InputPair["bytes"], options?: AbortOptions): Promise<CID> {
    return Promise.resolve(this.child.put(cid, bytes, options));
  }
  putMany(source: Iterable<InputPair> | AsyncIterable<InputPair>, options?: AbortOptions): AsyncGenerator<CID> {
    return this.child.putMany(source, options) as AsyncGenerator<CID>;
  }
  has(cid: CID, options?: AbortOptions): Promise<boolean> {
    return Promise.resolve(this.child.has(cid, options));
  }
  delete(cid: CID, options?: AbortOptions): Promise<void> {
    return Promise.resolve(this.child.delete(cid, options));
  }
  deleteMany(source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<CID> {
    return this.child.deleteMany(source, options) as AsyncGenerator<CID>;
  }
  getAll(options?: AbortOptions): AsyncGenerator<Pair> | Generator<Pair> {
    return this.child.getAll(options);
  }
}

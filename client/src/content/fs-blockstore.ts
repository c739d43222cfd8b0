import type { AbortOptions } from "@libp2p/interface";
import { FsBlockstore } from "blockstore-fs";
import { NotFoundError } from "interface-store";
import type { CID } from "multiformats/cid";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * blockstore-fs, reading each block with one readFile instead of a 64 KiB read stream:
 * a 1 MiB block is one buffer from one read, not sixteen chunks to concatenate.
 */
export class BlockFiles extends FsBlockstore {
  override async *get(key: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    options?.signal?.throwIfAborted();
    // Private in the typings only; the same sharding the parent's put() used.
    const { dir, file } = (this as unknown as { shardingStrategy: { encode(key: CID): { dir: string; file: string } } }).shardingStrategy.encode(key);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(this.path, dir, file));
    } catch (err) {
      throw new NotFoundError(String(err));
    }
    yield bytes;
  }
}

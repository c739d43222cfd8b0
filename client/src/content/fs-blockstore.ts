import type { AbortOptions } from "@libp2p/interface";
import { FsBlockstore } from "blockstore-fs";
import { NotFoundError, PutFailedError } from "interface-store";
import type { CID } from "multiformats/cid";
import { randomBytes } from "node:crypto";
import { close, mkdir, open, read, readFile, rename, unlink, write } from "node:fs";
import { join } from "node:path";

type Sharding = { encode(key: CID): { dir: string; file: string } };

/**
 * A block file is written this many bytes per write(2). One write of a whole 1 MiB block
 * lets the kernel (ext4 with large folios, Linux 6.16+) put it in 1 MiB page-cache folios,
 * and on a VM whose free memory is handed back to the host (virtio free page reporting)
 * those come from memory the host must supply again: 3-4 ms of system time per MiB after
 * the first ~150 MiB, against 0.4-0.6 in 64 KiB writes (256 KiB ones hit the same wall a
 * little later; bench/README.md, "Block files"). Elsewhere it costs 15 more syscalls per MiB.
 */
const WRITE_PIECE_BYTES = 64 * 1024;
/** Block CIDs BlockFiles remembers as present, at most (a few MiB of strings). */
const PRESENT_MAX_BLOCKS = 65_536;

/**
 * blockstore-fs, with leaner reads and writes of one block. Each fs step is a trip to
 * libuv's thread pool and, through promise-based fs, several promises; per MiB block these
 * were most of a fetch's CPU after the network (profiles in bench/README.md, "Content transfer").
 *  - get: one callback readFile (its open-stat-read-close loop runs natively), so a 1 MiB
 *    block is one buffer from one read, not sixteen 64 KiB chunks to concatenate;
 *  - put of a Uint8Array: the same crash safety as the parent's (the block is written to a
 *    temporary file and renamed to its name, so no reader ever sees part of one), without
 *    a mkdir for every block (a shard directory is made once) and with callback fs.
 */
export class BlockFiles extends FsBlockstore {
  readonly #dirs = new Set<string>();
  /**
   * Temporary names: random per store (two processes on one directory never collide), then
   * a counter (two fetches of one block never write the same file). A randomBytes() per block
   * showed in the receiver's profile (~30 ms of its main thread per 256 MiB).
   */
  readonly #temporaryPrefix = randomBytes(6).toString("hex");
  #temporaries = 0;
  /**
   * Blocks known to be on disk (found by has() or written by put()), so has() is answered without
   * a file lookup: a fetch asks has() of every block it needs before reading or asking peers,
   * several times per job on a provider, each an access(2) through libuv's thread pool (5.5 % of
   * five daemons' CPU under bench:realchain's burst). Blocks leave only through this store's
   * delete (the node's gc, which forgets them here); the set is emptied past PRESENT_MAX_BLOCKS.
   */
  readonly #present = new Set<string>();

  #remember(key: CID): void {
    if (this.#present.size >= PRESENT_MAX_BLOCKS) this.#present.clear();
    this.#present.add(blockKey(key));
  }

  override async has(key: CID, options?: AbortOptions): Promise<boolean> {
    if (this.#present.has(blockKey(key))) return true;
    const found = await super.has(key, options);
    if (found) this.#remember(key);
    return found;
  }

  override async delete(key: CID, options?: AbortOptions): Promise<void> {
    this.#present.delete(blockKey(key));
    await super.delete(key, options);
  }

  #shard(key: CID): { dir: string; file: string } {
    // Private in the typings only; the same sharding the parent uses.
    return (this as unknown as { shardingStrategy: Sharding }).shardingStrategy.encode(key);
  }

  override async *get(key: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    options?.signal?.throwIfAborted();
    const { dir, file } = this.#shard(key);
    let bytes: Uint8Array;
    try {
      bytes = await new Promise<Uint8Array>((resolve, reject) => readFile(join(this.path, dir, file), (err, data) => (err ? reject(err) : resolve(data))));
    } catch (err) {
      throw new NotFoundError(String(err));
    }
    yield bytes;
  }

  /**
   * A block read into `into` (the bytes are a view of it), or into a new buffer if it does
   * not fit: a sender that reuses a few buffers allocates nothing per block, so V8 does not
   * run a full collection every ~30 blocks for the external memory.
   */
  async readInto(key: CID, into: Uint8Array): Promise<Uint8Array> {
    const { dir, file } = this.#shard(key);
    const path = join(this.path, dir, file);
    let fd: number;
    try {
      fd = await new Promise<number>((resolve, reject) => open(path, "r", (err, fd) => (err ? reject(err) : resolve(fd))));
    } catch (err) {
      throw new NotFoundError(String(err));
    }
    try {
      const n = await new Promise<number>((resolve, reject) => read(fd, into, 0, into.length, 0, (err, n) => (err ? reject(err) : resolve(n))));
      if (n < into.length) return into.subarray(0, n);
    } finally {
      close(fd, () => {});
    }
    for await (const bytes of this.get(key)) return bytes;
    throw new NotFoundError(`block ${key} is empty`);
  }

  override async put(key: CID, val: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options?: AbortOptions): Promise<CID> {
    const cid = await this.#write(key, val, options);
    this.#remember(cid);
    return cid;
  }

  async #write(key: CID, val: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options?: AbortOptions): Promise<CID> {
    if (!(val instanceof Uint8Array)) return super.put(key, val, options);
    options?.signal?.throwIfAborted();
    const { dir, file } = this.#shard(key);
    const path = join(this.path, dir, file);
    const temporary = `${path}.${this.#temporaryPrefix}${(this.#temporaries++).toString(36)}.tmp`;
    try {
      if (!this.#dirs.has(dir)) {
        await new Promise<void>((resolve, reject) => mkdir(join(this.path, dir), { recursive: true }, (err) => (err ? reject(err) : resolve())));
        this.#dirs.add(dir);
      }
      await writePieces(temporary, val);
      await new Promise<void>((resolve, reject) => rename(temporary, path, (err) => (err ? reject(err) : resolve())));
      return key;
    } catch (err) {
      unlink(temporary, () => {});
      // A shard directory removed behind our back is made again next time.
      this.#dirs.delete(dir);
      throw new PutFailedError(String(err));
    }
  }
}

/**
 * A block's identity on disk: its multihash, as the file's name is (the codec and CID version
 * are not: getAll, which gc deletes from, names blocks by CIDv0 whatever they were added as).
 */
function blockKey(cid: CID): string {
  return Buffer.from(cid.multihash.bytes).toString("latin1");
}

/** Writes `bytes` to a new file at `path`, WRITE_PIECE_BYTES per write(2), and closes it. */
async function writePieces(path: string, bytes: Uint8Array): Promise<void> {
  const fd = await new Promise<number>((resolve, reject) => open(path, "w", (err, fd) => (err ? reject(err) : resolve(fd))));
  try {
    let offset = 0;
    while (offset < bytes.length) {
      const length = Math.min(WRITE_PIECE_BYTES, bytes.length - offset);
      offset += await new Promise<number>((resolve, reject) => write(fd, bytes, offset, length, null, (err, n) => (err ? reject(err) : resolve(n))));
    }
  } catch (err) {
    close(fd, () => {});
    throw err;
  }
  // A failed close can be the write failing late (a full disk on some filesystems).
  await new Promise<void>((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}

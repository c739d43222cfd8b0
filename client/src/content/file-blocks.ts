import * as dagPb from "@ipld/dag-pb";
import type { AbortOptions } from "@libp2p/interface";
import { UnixFS } from "ipfs-unixfs";
import type { Blockstore } from "interface-blockstore";
import type { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { NotAFileError } from "./errors.ts";

export const RAW_CODE = raw.code;
const EMPTY = new Uint8Array(0);

/**
 * The file bytes a UnixFS block carries: all of a raw leaf, the data field of a dag-pb file
 * node (which, in depth-first order, precede its children's bytes). A root that is not a
 * file is refused as the exporter would refuse it.
 */
export function fileData(cid: CID, block: Uint8Array, isRoot: boolean): Uint8Array {
  if (cid.code === RAW_CODE) return block;
  if (cid.code !== dagPb.code) throw new NotAFileError(cid.toString(), isRoot ? `codec 0x${cid.code.toString(16)}` : `a file with a codec 0x${cid.code.toString(16)} block`);
  const node = dagPb.decode(block);
  if (!node.Data) throw new NotAFileError(cid.toString(), "a dag-pb node without UnixFS data");
  const unixfs = UnixFS.unmarshal(node.Data);
  if (unixfs.type !== "file" && unixfs.type !== "raw") throw new NotAFileError(cid.toString(), unixfs.type);
  return unixfs.data ?? EMPTY;
}

/**
 * Block writes that run behind the reader: at most `max` at once (so at most `max` blocks
 * held for the disk), the first failure reported by the next add() or by flush().
 */
export class BlockWrites {
  readonly #blockstore: Blockstore;
  readonly #max: number;
  readonly #options: AbortOptions;
  readonly #inFlight = new Set<Promise<void>>();
  #error: unknown;

  constructor(blockstore: Blockstore, max: number, signal: AbortSignal) {
    this.#blockstore = blockstore;
    this.#max = Math.max(1, max);
    this.#options = { signal };
  }

  /** Starts writing a block; `onSettled` runs once the write no longer uses `bytes`, done or failed. */
  async add(cid: CID, bytes: Uint8Array, onSettled?: () => void): Promise<void> {
    while (this.#inFlight.size >= this.#max) await Promise.race(this.#inFlight);
    if (this.#error) {
      onSettled?.();
      throw this.#error;
    }
    const write: Promise<void> = Promise.resolve(this.#blockstore.put(cid, bytes, this.#options)).then(
      () => {
        this.#inFlight.delete(write);
        onSettled?.();
      },
      (err: unknown) => {
        this.#error ??= err;
        this.#inFlight.delete(write);
        onSettled?.();
      },
    );
    this.#inFlight.add(write);
  }

  /** Waits for every write; throws the first that failed. */
  async flush(): Promise<void> {
    await this.settle();
    if (this.#error) throw this.#error;
  }

  /** Waits for every write, whatever became of them. */
  async settle(): Promise<void> {
    while (this.#inFlight.size) await Promise.all(this.#inFlight);
  }
}

/**
 * The order a DAG's blocks travel in, depth-first (each dag-pb node, then its links in
 * order), and the check each block passes on arrival: it must hash to the CID its parent
 * (or the caller, for the root) names. Both fetch paths, and the serving side's reads, use it.
 */
import * as dagPb from "@ipld/dag-pb";
import type { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { createHash } from "node:crypto";
import { CorruptBlockError, IncompleteDagError } from "./errors.ts";

export type VerifiedBlock = { cid: CID; bytes: Uint8Array };

export function childLinks(cid: CID, block: Uint8Array): CID[] {
  return cid.code === dagPb.code ? dagPb.decode(block).Links.map((l) => l.Hash) : [];
}

/** Synchronous native sha2-256: one call per block, no promise per block. */
export function matchesCid(cid: CID, block: Uint8Array): boolean {
  if (cid.multihash.code !== sha256.code) return false;
  const digest = createHash("sha256").update(block).digest();
  return digest.equals(cid.multihash.digest);
}

/**
 * A fetch's expectations of one peer's blocks: which CID comes next, known from the blocks
 * already received, so a wrong block is caught at once, naming the peer.
 */
export class DagOrder {
  readonly #root: CID;
  readonly #peer: string;
  /** A stack in arrival order (top = next). */
  readonly #pending: CID[];

  constructor(root: CID, peer: string) {
    this.#root = root;
    this.#peer = peer;
    this.#pending = [root];
  }

  /** The CID the next block must hash to; CorruptBlockError when the DAG has no more. */
  next(): CID {
    const cid = this.#pending.at(-1);
    if (!cid) throw new CorruptBlockError(this.#root.toString(), `peer ${this.#peer} (more blocks than the DAG holds)`);
    return cid;
  }

  /** Checks `bytes` against the next CID and expects its links next. */
  accept(bytes: Uint8Array): VerifiedBlock {
    const cid = this.next();
    if (!matchesCid(cid, bytes)) throw new CorruptBlockError(cid.toString(), `peer ${this.#peer}`);
    this.#pending.pop();
    const links = childLinks(cid, bytes);
    for (let i = links.length - 1; i >= 0; i--) this.#pending.push(links[i]);
    return { cid, bytes };
  }

  get complete(): boolean {
    return this.#pending.length === 0;
  }

  /** Throws IncompleteDagError unless every block arrived. */
  assertComplete(path: "block stream" | "direct channel"): void {
    if (this.#pending.length) throw new IncompleteDagError(this.#peer, this.#root.toString(), this.#pending.length, path);
  }
}

/** How a fetch receives one peer's blocks. */
export type BlockReceiveOptions = {
  signal: AbortSignal;
  maxBlockBytes: number;
  /** Bytes received ahead of the consumer past which the sender is held back. */
  highWaterBytes?: number;
  /** Gives the buffer each block is received into (by default a fresh one per block). */
  allocate?: (bytes: number) => Buffer;
};

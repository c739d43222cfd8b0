/**
 * Buffers the blocks of one fetch are received into, used again once everything that holds
 * a block has let go of it: its write to disk and a reader that asked for reuse (`cat`'s
 * `reuseChunks`). Why: a fresh 1 MiB buffer per block is external memory to V8, and every
 * 64 MiB of it since the last full collection sets off another, which marks the receiving
 * node's whole heap (~50 MB): ~2 ms of CPU per MiB received (bench/README.md, "Receive
 * buffers"). A few reused buffers add no external memory after the first.
 */
export class ReceiveBuffers {
  readonly #bufferBytes: number;
  readonly #minBytes: number;
  readonly #max: number;
  readonly #free: Buffer[] = [];
  readonly #owned = new WeakSet<ArrayBufferLike>();
  readonly #holds = new Map<ArrayBufferLike, number>();

  /**
   * @param bufferBytes capacity of each pooled buffer; larger blocks get their own.
   * @param minBytes smaller blocks get their own too: dag-pb nodes (a few KiB) would each
   *   take a whole pooled buffer, and are never given back (see hold()).
   * @param max buffers kept for reuse; the rest are left to the garbage collector.
   */
  constructor(bufferBytes: number, minBytes: number, max: number) {
    this.#bufferBytes = bufferBytes;
    this.#minBytes = minBytes;
    this.#max = max;
  }

  /** A buffer of `bytes` to receive a block into: a view of a pooled buffer when its size fits. */
  allocate(bytes: number): Buffer {
    if (bytes < this.#minBytes || bytes > this.#bufferBytes) return Buffer.allocUnsafe(bytes);
    let buffer = this.#free.pop();
    if (!buffer) {
      buffer = Buffer.allocUnsafeSlow(this.#bufferBytes);
      this.#owned.add(buffer.buffer);
    }
    return buffer.subarray(0, bytes);
  }

  /**
   * Marks `view`'s buffer as held by `count` users; it is reused after as many release()s.
   * False (and nothing to release) for a buffer that is not pooled. A block whose bytes
   * outlive its users (a dag-pb node: the CIDs of its links are views of it) is never held,
   * so its buffer never comes back.
   */
  hold(view: Uint8Array, count: number): boolean {
    if (!this.#owned.has(view.buffer) || this.#holds.has(view.buffer)) return false;
    this.#holds.set(view.buffer, count);
    return true;
  }

  release(view: Uint8Array): void {
    const left = this.#holds.get(view.buffer);
    if (left === undefined) return;
    if (left > 1) return void this.#holds.set(view.buffer, left - 1);
    this.#holds.delete(view.buffer);
    if (this.#free.length < this.#max) this.#free.push(Buffer.from(view.buffer, 0, this.#bufferBytes));
  }
}

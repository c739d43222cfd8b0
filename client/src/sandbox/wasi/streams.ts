/** stdout and stderr: what a run printed, up to its cap. */
import { RunEnd } from "./fs.ts";

/**
 * Keeps exactly the first `cap` bytes written. A write that passes the cap keeps the bytes
 * that fit, then ends the run. One growing buffer, not a chunk per write: a flood of tiny
 * writes must not cost the host an object each.
 */
export class StreamSink {
  private buf = new Uint8Array(0);
  length = 0;
  private readonly cap: number;
  private readonly limit: "stdout" | "stderr";

  constructor(cap: number, limit: "stdout" | "stderr") {
    this.cap = cap;
    this.limit = limit;
  }

  /** Appends what fits of `bytes`; returns false when some did not fit (the caller ends the run). */
  append(bytes: Uint8Array): boolean {
    const n = Math.min(bytes.length, this.cap - this.length);
    if (this.length + n > this.buf.length) {
      const grown = new Uint8Array(Math.min(this.cap, Math.max(this.length + n, this.buf.length * 2, 4096)));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(n === bytes.length ? bytes : bytes.subarray(0, n), this.length);
    this.length += n;
    return n === bytes.length;
  }

  overflow(): never {
    throw new RunEnd({ kind: "limit", limit: this.limit });
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

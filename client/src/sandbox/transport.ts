/**
 * How job and result bytes cross between the pool and its sandbox processes. Node's IPC
 * channel moves 64 MiB in ~250 ms (it serialises into the pipe and reassembles on the other
 * side), longer than hashing the same bytes in the sandbox; a file on a memory-backed file
 * system moves them in ~30. So byte arrays past `FILE_BYTES_MIN` travel as files in a folder
 * of the pool's, named in the message, and everything else rides the channel.
 *
 * A file is read once by the side that receives it and removed by the pool, the side that
 * outlives the other: after the reply for a request's files, on receipt for a reply's files,
 * and with the folder when the pool closes (which also clears whatever a killed process left).
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Arrays smaller than this ride the IPC channel: a file costs two system calls and a name. */
export const FILE_BYTES_MIN = 256 * 1024;

/** What a byte array is replaced by in a message. */
export type FileRef = { accordFile: string; length: number };

const isRef = (v: unknown): v is FileRef => typeof v === "object" && v !== null && typeof (v as FileRef).accordFile === "string";

/** A folder for one pool's files: memory-backed where Linux offers one. */
export function transportDir(): string {
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  return mkdtempSync(join(base, `accord-sandbox-${process.pid}-`)); // the pid tells whose folder a leftover is
}

/**
 * Files of shared byte arrays (shareJob), written once and kept while the array lives: by
 * shareJob's contract their bytes do not change while a run uses them, so a job run many
 * times is written once. A file goes when its array is collected, or with the pool's folder.
 */
export class SharedFiles {
  private readonly refs = new WeakMap<Uint8Array, FileRef>();
  private readonly cleanup = new FinalizationRegistry<string>((path) => rmSync(path, { force: true }));
  private next = 0;

  refFor(bytes: Uint8Array, dir: string): FileRef {
    let ref = this.refs.get(bytes);
    if (!ref || !existsSync(ref.accordFile)) {
      const path = join(dir, `shared-${this.next++}`);
      writeFileSync(path, bytes);
      ref = { accordFile: path, length: bytes.length };
      this.refs.set(bytes, ref);
      this.cleanup.register(bytes, path);
    }
    return ref;
  }
}

/**
 * `value` rebuilt with `leaf` applied to every value it holds; arrays and plain objects are
 * walked into (a leaf that replaces one is not walked further), everything else is a leaf.
 */
function mapLeaves(value: unknown, leaf: (v: unknown) => unknown): unknown {
  const walk = (v: unknown): unknown => {
    const mapped = leaf(v);
    if (mapped !== v) return mapped;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value);
}

/**
 * `value` with each large byte array written to a file in `dir` and replaced by its reference;
 * the names of the files written for this message alone are pushed onto `written`. Arrays and
 * plain objects are walked; everything else is kept as it is.
 */
export function packBytes<T>(value: T, dir: string, written: string[], prefix: string, shared?: SharedFiles): T {
  return mapLeaves(value, (v) => {
    if (v instanceof Uint8Array) {
      // SharedArrayBuffers cannot cross into another process: small ones are copied.
      if (v.length < FILE_BYTES_MIN) return v.buffer instanceof SharedArrayBuffer ? v.slice() : v;
      if (shared && v.buffer instanceof SharedArrayBuffer) return shared.refFor(v, dir);
      const path = join(dir, `${prefix}-${written.length}`);
      writeFileSync(path, v);
      written.push(path);
      return { accordFile: path, length: v.length } satisfies FileRef;
    }
    return v;
  }) as T;
}

/**
 * `value` with each file reference read back into bytes. A file that is missing or of the
 * wrong length means the other side died or the folder was cleared: that is an error, never
 * a shorter input.
 */
export function unpackBytes<T>(value: T, { remove = false, arena }: { remove?: boolean; arena?: Arena } = {}): T {
  return mapLeaves(value, (v) => {
    if (isRef(v)) {
      const bytes = arena ? arena.take(v.length) : new Uint8Array(v.length);
      const fd = openSync(v.accordFile, "r");
      try {
        let at = 0;
        while (at < bytes.length) {
          const n = readSync(fd, bytes, at, bytes.length - at, at);
          if (n === 0) break;
          at += n;
        }
        if (at !== v.length || readSync(fd, new Uint8Array(1), 0, 1, at) !== 0) throw new Error(`${v.accordFile} does not hold the ${v.length} bytes sent`);
      } finally {
        closeSync(fd);
      }
      if (remove) unlinkSync(v.accordFile);
      return bytes;
    }
    return v;
  }) as T;
}

/**
 * Memory that a sandbox process reads job bytes into, kept from job to job. On this kind of
 * machine, fresh memory costs more than the copy into it (a first touch of 64 MiB takes ~100
 * ms; writing pages touched before, ~20), so a process reuses what it touched before. Views
 * handed out are valid until `endJob`.
 */
export class Arena {
  private buffer = new ArrayBuffer(0);
  private used = 0;
  private wanted = 0;
  private readonly maxBytes: number;

  /** `maxBytes`: the most this arena keeps between jobs; larger jobs' bytes are their own. */
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  take(length: number): Uint8Array {
    const at = (this.used + 7) & ~7;
    this.used = at + length;
    this.wanted = Math.max(this.wanted, this.used);
    if (this.used > this.buffer.byteLength) return new Uint8Array(length);
    return new Uint8Array(this.buffer, at, length);
  }

  /** The job is done with its views: the next one reuses the space, grown to what this one wanted. */
  endJob(): void {
    if (this.wanted > this.buffer.byteLength && this.wanted <= this.maxBytes) this.buffer = new ArrayBuffer(this.wanted);
    this.used = 0;
    this.wanted = 0;
  }
}

export function removeFiles(paths: string[]): void {
  for (const p of paths.splice(0)) rmSync(p, { force: true });
}

/**
 * The sandbox's file system: a read-only tree under /input built from the job, and a writable
 * tree under /output whose file count and total bytes are capped. It lives in memory only;
 * nothing here can name a host path.
 */
import { InvalidJobError } from "../errors.ts";
import { MAX_INPUT_FILES, MAX_PATH_BYTES } from "../constants.ts";
import type { LimitKind } from "../types.ts";
import { ERRNO } from "./errno.ts";

export type FileNode = { kind: "file"; ino: number; writable: boolean; data: Uint8Array; size: number };
export type DirNode = { kind: "dir"; ino: number; writable: boolean; entries: Map<string, Node> };
export type Node = FileNode | DirNode;

/** Thrown by the host to end a run with a result (exit, cap reached); unwinds through wasm. */
export class RunEnd {
  readonly status: { kind: "exit"; code: number } | { kind: "limit"; limit: LimitKind } | { kind: "trap"; trap: "out_of_fuel" };
  constructor(status: RunEnd["status"]) {
    this.status = status;
  }
}

/** A WASI errno returned from deep inside a path walk. */
export class Errno {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

export class MemoryFs {
  private nextIno = 1;
  readonly input: DirNode;
  readonly output: DirNode;
  outputFiles = 0;
  outputBytes = 0;
  private readonly maxFiles: number;
  private readonly maxBytes: number;

  constructor(inputs: Record<string, Uint8Array>, limits: { outputFiles: number; outputBytes: number }) {
    this.maxFiles = limits.outputFiles;
    this.maxBytes = limits.outputBytes;
    this.input = this.dir(false);
    this.output = this.dir(true);
    const paths = Object.keys(inputs).sort(compareUtf8);
    if (paths.length > MAX_INPUT_FILES) throw new InvalidJobError(`it has ${paths.length} input files`, `Pass at most ${MAX_INPUT_FILES} files, or pack them into an archive.`);
    for (const path of paths) {
      const data = inputs[path];
      if (!(data instanceof Uint8Array)) throw new InvalidJobError(`input "${path}" is not a Uint8Array`, "Pass input file contents as bytes.");
      const parts = checkJobPath(path);
      let dir = this.input;
      for (const part of parts.slice(0, -1)) {
        let next = dir.entries.get(part);
        if (!next) dir.entries.set(part, (next = this.dir(false)));
        if (next.kind !== "dir") throw new InvalidJobError(`input "${path}" passes through a file`, "Make sure no input path is a prefix directory of another input file.");
        dir = next;
      }
      const name = parts[parts.length - 1]!;
      if (dir.entries.has(name)) throw new InvalidJobError(`input "${path}" is both a file and a directory`, "Give each input file a distinct path.");
      dir.entries.set(name, { kind: "file", ino: this.nextIno++, writable: false, data, size: data.length });
    }
  }

  dir(writable: boolean): DirNode {
    return { kind: "dir", ino: this.nextIno++, writable, entries: new Map() };
  }

  /** Creates an empty file in a writable directory, counting it against the /output cap. */
  createFile(parent: DirNode, name: string): FileNode {
    if (this.outputFiles + 1 > this.maxFiles) throw new RunEnd({ kind: "limit", limit: "output_files" });
    this.outputFiles++;
    const f: FileNode = { kind: "file", ino: this.nextIno++, writable: true, data: new Uint8Array(0), size: 0 };
    parent.entries.set(name, f);
    return f;
  }

  /** Sets a writable file's size, zero-filling growth; a total past the /output cap ends the run. */
  resize(f: FileNode, size: number): void {
    const delta = size - f.size;
    if (delta > 0 && this.outputBytes + delta > this.maxBytes) throw new RunEnd({ kind: "limit", limit: "output_bytes" });
    if (size > f.data.length) {
      const grown = new Uint8Array(Math.max(size, Math.min(f.data.length * 2, size + 16 * 1_048_576)));
      grown.set(f.data.subarray(0, f.size));
      f.data = grown;
    } else if (size < f.size) {
      f.data.fill(0, size, f.size);
    }
    f.size = size;
    this.outputBytes += delta;
  }

  write(f: FileNode, pos: number, bytes: Uint8Array): void {
    if (pos + bytes.length > f.size) this.resize(f, pos + bytes.length);
    f.data.set(bytes, pos);
  }

  /** Removes a node from a writable directory, giving back what it counted. */
  remove(parent: DirNode, name: string): void {
    const node = parent.entries.get(name);
    if (!node) return;
    parent.entries.delete(name);
    if (node.kind === "file") {
      this.outputFiles--;
      this.outputBytes -= node.size;
    }
  }

  /** Every file under /output, by path relative to /output, copied out. */
  outputSnapshot(): Record<string, Uint8Array> {
    const files: Record<string, Uint8Array> = {};
    const walk = (dir: DirNode, prefix: string) => {
      for (const [name, node] of dir.entries) {
        if (node.kind === "file") files[prefix + name] = node.data.slice(0, node.size);
        else walk(node, `${prefix}${name}/`);
      }
    };
    walk(this.output, "");
    return files;
  }
}

/**
 * Resolves `path` relative to `dir` without ever leaving `root`'s tree: absolute paths and `..`
 * above the root are refused with NOTCAPABLE. Returns the parent directory and the last name
 * (undefined when the path names the directory itself, e.g. "." or "a/..").
 */
export function resolve(root: DirNode, chain: DirNode[], path: string): { parent: DirNode; name?: string; chain: DirNode[] } {
  if (path.length === 0) throw new Errno(ERRNO.NOENT);
  if (path.length > MAX_PATH_BYTES) throw new Errno(ERRNO.NAMETOOLONG);
  if (path.startsWith("/")) throw new Errno(ERRNO.NOTCAPABLE);
  if (path.includes("\0")) throw new Errno(ERRNO.INVAL);
  const parts = path.split("/");
  const stack = chain.length ? [...chain] : [root];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === "" || part === ".") {
      if (last) return { parent: stack[stack.length - 1]!, chain: stack };
      continue;
    }
    if (part === "..") {
      if (stack.length === 1) throw new Errno(ERRNO.NOTCAPABLE);
      stack.pop();
      if (last) return { parent: stack[stack.length - 1]!, chain: stack };
      continue;
    }
    if (last) return { parent: stack[stack.length - 1]!, name: part, chain: stack };
    const next = stack[stack.length - 1]!.entries.get(part);
    if (!next) throw new Errno(ERRNO.NOENT);
    if (next.kind !== "dir") throw new Errno(ERRNO.NOTDIR);
    stack.push(next);
  }
  return { parent: stack[stack.length - 1]!, chain: stack };
}

const encoder = new TextEncoder();

/** Orders strings by their UTF-8 bytes, the order the protocol fixes for env and directories. */
export function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function checkJobPath(path: string): string[] {
  const parts = path.split("/");
  if (!path || path.startsWith("/") || path.includes("\0") || parts.some((p) => p === "" || p === "." || p === "..") || encoder.encode(path).length > MAX_PATH_BYTES) {
    throw new InvalidJobError(`input path "${path}" is not a plain relative path`, 'Name inputs relative to /input with "/" between non-empty parts, e.g. "data.csv" or "dir/x.bin" (no "..", ".", or leading "/").');
  }
  return parts;
}

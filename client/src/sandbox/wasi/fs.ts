/**
 * The sandbox's file system: a read-only tree under /input built from the job, and a writable
 * tree under /output whose node count (files and directories) and total file bytes are capped.
 * It lives in memory only; nothing here can name a host path.
 */
import { InvalidJobError } from "../errors.ts";
import { MAX_INPUT_FILES, MAX_PATH_BYTES } from "../constants.ts";
import type { LimitKind } from "../types.ts";
import { ERRNO } from "./errno.ts";

export type FileNode = { kind: "file"; ino: number; writable: boolean; data: Uint8Array; size: number; name: Uint8Array };
export type DirNode = {
  kind: "dir"; ino: number; writable: boolean; entries: Map<string, Node>;
  /** The node's name in UTF-8 (empty for a root): listings sort and write it without encoding again. */
  name: Uint8Array;
  /** Undefined for a tree's root. Kept for `..` in listings and for the rename checks. */
  parent?: DirNode;
  /** The entries in UTF-8 byte order, built on the first listing after any change. */
  listing?: Listing;
};
export type Node = FileNode | DirNode;
export type Listing = { nodes: Node[] };

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

const encoder = new TextEncoder();
/** Node's Buffer.from encodes a short string several times faster than TextEncoder. */
export const utf8 = (s: string): Uint8Array => Buffer.from(s, "utf8");

const EMPTY = new Uint8Array(0);

export class MemoryFs {
  private nextIno = 1;
  readonly input: DirNode;
  readonly output: DirNode;
  /** Files and directories under /output (not /output itself). */
  outputNodes = 0;
  outputBytes = 0;
  private readonly maxNodes: number;
  private readonly maxBytes: number;

  constructor(inputs: Record<string, Uint8Array>, limits: { outputFiles: number; outputBytes: number }) {
    this.maxNodes = limits.outputFiles;
    this.maxBytes = limits.outputBytes;
    this.input = this.dir(false, EMPTY);
    this.output = this.dir(true, EMPTY);
    const paths = sortUtf8(Object.keys(inputs));
    if (paths.length > MAX_INPUT_FILES) throw new InvalidJobError(`it has ${paths.length} input files`, `Pass at most ${MAX_INPUT_FILES} files, or pack them into an archive.`);
    for (const path of paths) {
      const data = inputs[path];
      if (!(data instanceof Uint8Array)) throw new InvalidJobError(`input "${path}" is not a Uint8Array`, "Pass input file contents as bytes.");
      const parts = checkJobPath(path);
      let dir = this.input;
      for (const part of parts.slice(0, -1)) {
        let next = dir.entries.get(part);
        if (!next) {
          next = this.dir(false, utf8(part));
          next.parent = dir;
          dir.entries.set(part, next);
        }
        if (next.kind !== "dir") throw new InvalidJobError(`input "${path}" passes through a file`, "Make sure no input path is a prefix directory of another input file.");
        dir = next;
      }
      const name = parts[parts.length - 1]!;
      if (dir.entries.has(name)) throw new InvalidJobError(`input "${path}" is both a file and a directory`, "Give each input file a distinct path.");
      dir.entries.set(name, { kind: "file", ino: this.nextIno++, writable: false, data, size: data.length, name: utf8(name) });
    }
  }

  private dir(writable: boolean, name: Uint8Array): DirNode {
    return { kind: "dir", ino: this.nextIno++, writable, entries: new Map(), name };
  }

  private count(): void {
    if (this.outputNodes + 1 > this.maxNodes) throw new RunEnd({ kind: "limit", limit: "output_files" });
    this.outputNodes++;
  }

  /** Creates an empty file in a writable directory, counting it against the /output cap. */
  createFile(parent: DirNode, name: string, nameUtf8: Uint8Array): FileNode {
    this.count();
    const f: FileNode = { kind: "file", ino: this.nextIno++, writable: true, data: new Uint8Array(0), size: 0, name: nameUtf8 };
    this.attach(parent, name, f);
    return f;
  }

  /** Creates a directory; it counts against the /output cap like a file. */
  createDir(parent: DirNode, name: string, nameUtf8: Uint8Array): DirNode {
    this.count();
    const d = this.dir(true, nameUtf8);
    this.attach(parent, name, d);
    return d;
  }

  /** Bytes a resize to `size` adds to /output; a total past the cap ends the run, unapplied. */
  checkGrowth(f: FileNode, size: number): void {
    const delta = size - f.size;
    if (delta > 0 && this.outputBytes + delta > this.maxBytes) throw new RunEnd({ kind: "limit", limit: "output_bytes" });
  }

  /** Sets a writable file's size, zero-filling growth; a total past the /output cap ends the run. */
  resize(f: FileNode, size: number): void {
    this.checkGrowth(f, size);
    if (size > f.data.length) {
      const grown = new Uint8Array(Math.max(size, Math.min(f.data.length * 2, size + 16 * 1_048_576)));
      grown.set(f.data.subarray(0, f.size));
      f.data = grown;
    } else if (size < f.size) {
      f.data.fill(0, size, f.size);
    }
    this.outputBytes += size - f.size;
    f.size = size;
  }

  /** Removes a node from a writable directory, giving back what it counted. */
  remove(parent: DirNode, name: string): void {
    const node = parent.entries.get(name);
    if (!node) return;
    this.detach(parent, name);
    this.outputNodes--;
    if (node.kind === "file") this.outputBytes -= node.size;
  }

  /** Moves a node; a node already at the destination is removed first. */
  move(from: DirNode, fromName: string, to: DirNode, toName: string, toUtf8: Uint8Array): void {
    const node = from.entries.get(fromName)!;
    if (to.entries.has(toName)) this.remove(to, toName);
    this.detach(from, fromName);
    node.name = toUtf8;
    this.attach(to, toName, node);
  }

  private attach(parent: DirNode, name: string, node: Node): void {
    parent.entries.set(name, node);
    parent.listing = undefined;
    if (node.kind === "dir") node.parent = parent;
  }

  private detach(parent: DirNode, name: string): void {
    parent.entries.delete(name);
    parent.listing = undefined;
  }

  /** The sorted listing, built now if the directory changed since it was last listed. */
  listing(dir: DirNode): Listing {
    if (!dir.listing) {
      dir.listing = { nodes: [...dir.entries.values()].sort((a, b) => compareBytes(a.name, b.name)) };
    }
    return dir.listing;
  }

  /** Every file under /output, by path relative to /output, copied out. */
  outputSnapshot(): Record<string, Uint8Array> {
    const files: Record<string, Uint8Array> = {};
    // Iterative: /output may nest as deep as its node cap allows.
    const stack: [DirNode, string][] = [[this.output, ""]];
    while (stack.length) {
      const [dir, prefix] = stack.pop()!;
      for (const [name, node] of dir.entries) {
        if (node.kind === "file") files[prefix + name] = node.data.slice(0, node.size);
        else stack.push([node, `${prefix}${name}/`]);
      }
    }
    return files;
  }
}

/** A path split for a walk: its components, and whether it ended in "/" (it must name a directory). */
export type ParsedPath = { parts: string[]; trailingSlash: boolean };

/**
 * Splits a guest path (already checked for length). Components are counted before any is
 * looked up, so their fuel is paid before the walk.
 */
export function parsePath(path: string): ParsedPath {
  if (path.length === 0) throw new Errno(ERRNO.NOENT);
  if (path.charCodeAt(0) === 47) throw new Errno(ERRNO.NOTCAPABLE); // absolute
  if (path.includes("\0")) throw new Errno(ERRNO.INVAL);
  const parts = path.split("/");
  let trailingSlash = false;
  while (parts.length > 1 && parts[parts.length - 1] === "") {
    parts.pop();
    trailingSlash = true;
  }
  return { parts, trailingSlash };
}

/**
 * Walks `parts` from `root` without ever leaving root's subtree: `..` above it is NOTCAPABLE,
 * whatever lies above root in the tree. Returns the directory holding the last component and
 * its name (undefined when the path names a directory itself, e.g. "." or "a/..").
 */
export function walk(root: DirNode, { parts }: ParsedPath): { parent: DirNode; name?: string } {
  const stack: DirNode[] = [root];
  const last = parts.length - 1;
  for (let i = 0; i <= last; i++) {
    const part = parts[i]!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (stack.length === 1) throw new Errno(ERRNO.NOTCAPABLE);
      stack.pop();
      continue;
    }
    if (i === last) return { parent: stack[stack.length - 1]!, name: part };
    const next = stack[stack.length - 1]!.entries.get(part);
    if (!next) throw new Errno(ERRNO.NOENT);
    if (next.kind !== "dir") throw new Errno(ERRNO.NOTDIR);
    stack.push(next);
  }
  return { parent: stack[stack.length - 1]! };
}

function compareBytes(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Orders strings by their UTF-8 bytes, the order the protocol fixes for env and directories. */
export function compareUtf8(a: string, b: string): number {
  return compareBytes(encoder.encode(a), encoder.encode(b));
}

/** `strings` in UTF-8 byte order, each encoded once. */
export function sortUtf8(strings: string[]): string[] {
  return strings.map((s) => ({ s, b: utf8(s) })).sort((x, y) => compareBytes(x.b, y.b)).map((e) => e.s);
}

function checkJobPath(path: string): string[] {
  const parts = path.split("/");
  if (!path || path.startsWith("/") || path.includes("\0") || parts.some((p) => p === "" || p === "." || p === "..") || Buffer.byteLength(path, "utf8") > MAX_PATH_BYTES) {
    throw new InvalidJobError(`input path "${path}" is not a plain relative path`, 'Name inputs relative to /input with "/" between non-empty parts, e.g. "data.csv" or "dir/x.bin" (no "..", ".", or leading "/").');
  }
  return parts;
}

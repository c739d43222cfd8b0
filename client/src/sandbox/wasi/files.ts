/** WASI's descriptors, streams and paths over the in-memory file system (see fs.ts). */
import { BYTES_PER_FUEL, FIXED_CLOCK_NS, FUEL_PER_HOST_CALL } from "../constants.ts";
import type { SandboxJob } from "../types.ts";
import { ERRNO, FDFLAGS, FILETYPE, OFLAGS, RIGHTS, WHENCE } from "./errno.ts";
import { compareUtf8, type DirNode, Errno, type FileNode, MemoryFs, type Node, resolve, RunEnd } from "./fs.ts";
import { GuestMemory } from "./memory.ts";

export type Fd =
  | { kind: "stdin" | "stdout" | "stderr" }
  | { kind: "file"; node: FileNode; pos: number; read: boolean; write: boolean; append: boolean }
  | { kind: "dir"; node: DirNode; chain: DirNode[]; preopen?: string };

export type WasiHostOptions = {
  job: SandboxJob;
  /** Charges fuel; throws RunEnd(out_of_fuel) when it runs out. */
  charge: (units: number) => void;
};

const encoder = new TextEncoder();

/** stdout or stderr: keeps exactly the first `cap` bytes; writing past it ends the run. */
export class StreamSink {
  private chunks: Uint8Array[] = [];
  length = 0;
  private readonly cap: number;
  private readonly limit: "stdout" | "stderr";

  constructor(cap: number, limit: "stdout" | "stderr") {
    this.cap = cap;
    this.limit = limit;
  }

  write(bytes: Uint8Array): void {
    const room = this.cap - this.length;
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (kept.length) {
      this.chunks.push(kept.slice());
      this.length += kept.length;
    }
    if (bytes.length > room) throw new RunEnd({ kind: "limit", limit: this.limit });
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export class WasiFiles {
  readonly memory = new GuestMemory();
  readonly fs: MemoryFs;
  readonly stdout: StreamSink;
  readonly stderr: StreamSink;
  protected readonly stdin: Uint8Array;
  protected stdinPos = 0;
  protected readonly fds = new Map<number, Fd>();
  private readonly charge: (units: number) => void;

  constructor({ job, charge }: WasiHostOptions) {
    this.charge = charge;
    this.fs = new MemoryFs(job.inputs ?? {}, job.limits);
    this.stdout = new StreamSink(job.limits.stdoutBytes, "stdout");
    this.stderr = new StreamSink(job.limits.stderrBytes, "stderr");
    this.stdin = job.stdin ?? new Uint8Array(0);
    this.fds.set(0, { kind: "stdin" });
    this.fds.set(1, { kind: "stdout" });
    this.fds.set(2, { kind: "stderr" });
    this.fds.set(3, { kind: "dir", node: this.fs.input, chain: [this.fs.input], preopen: "/input" });
    this.fds.set(4, { kind: "dir", node: this.fs.output, chain: [this.fs.output], preopen: "/output" });
  }

  protected pay(bytes: number): void {
    this.charge(FUEL_PER_HOST_CALL + Math.floor(bytes / BYTES_PER_FUEL));
  }

  protected fd(n: number): Fd {
    const fd = this.fds.get(n);
    if (!fd) throw new Errno(ERRNO.BADF);
    return fd;
  }

  private dirFd(n: number): Extract<Fd, { kind: "dir" }> {
    const fd = this.fd(n);
    if (fd.kind !== "dir") throw new Errno(ERRNO.NOTDIR);
    return fd;
  }

  protected readable(fd: Fd): number {
    if (fd.kind === "stdin") return this.stdin.length - this.stdinPos;
    if (fd.kind === "file") return Math.max(0, fd.node.size - fd.pos);
    return 0;
  }

  private path(dirfd: number, ptr: number, len: number) {
    const dir = this.dirFd(dirfd);
    const r = resolve(dir.chain[0]!, dir.chain, this.memory.string(ptr, len));
    return { ...r, node: r.name === undefined ? (r.parent as Node) : r.parent.entries.get(r.name) };
  }

  // --- reading and writing ---

  private readInto(fd: Fd, bufs: Uint8Array[], at?: number): number {
    let total = 0;
    let src: Uint8Array;
    let pos: number;
    if (fd.kind === "stdin") [src, pos] = [this.stdin, this.stdinPos];
    else if (fd.kind === "file" && fd.read) [src, pos] = [fd.node.data.subarray(0, fd.node.size), at ?? fd.pos];
    else throw new Errno(fd.kind === "dir" ? ERRNO.ISDIR : ERRNO.BADF);
    for (const b of bufs) {
      const n = Math.max(0, Math.min(b.length, src.length - pos));
      b.set(src.subarray(pos, pos + n));
      pos += n;
      total += n;
      if (n < b.length) break;
    }
    if (at === undefined) {
      if (fd.kind === "stdin") this.stdinPos = pos;
      else if (fd.kind === "file") fd.pos = pos;
    }
    return total;
  }

  private writeFrom(fd: Fd, bufs: Uint8Array[], at?: number): number {
    let total = 0;
    if (fd.kind === "stdout" || fd.kind === "stderr") {
      const sink = fd.kind === "stdout" ? this.stdout : this.stderr;
      for (const b of bufs) {
        sink.write(b);
        total += b.length;
      }
      return total;
    }
    if (fd.kind !== "file" || !fd.write) throw new Errno(fd.kind === "dir" ? ERRNO.ISDIR : ERRNO.BADF);
    let pos = at ?? (fd.append ? fd.node.size : fd.pos);
    for (const b of bufs) {
      this.fs.write(fd.node, pos, b);
      pos += b.length;
      total += b.length;
    }
    if (at === undefined) fd.pos = pos;
    return total;
  }

  fd_read(fd: number, iovs: number, count: number, nread: number) {
    const bufs = this.memory.iovecs(iovs, count);
    this.pay(bufs.reduce((s, b) => s + b.length, 0));
    this.memory.u32At(nread, this.readInto(this.fd(fd), bufs));
    return ERRNO.SUCCESS;
  }

  fd_pread(fd: number, iovs: number, count: number, offset: bigint, nread: number) {
    const bufs = this.memory.iovecs(iovs, count);
    this.pay(bufs.reduce((s, b) => s + b.length, 0));
    const f = this.fd(fd);
    if (f.kind !== "file") return f.kind === "dir" ? ERRNO.ISDIR : ERRNO.SPIPE;
    this.memory.u32At(nread, this.readInto(f, bufs, safeOffset(offset)));
    return ERRNO.SUCCESS;
  }

  fd_write(fd: number, iovs: number, count: number, nwritten: number) {
    const bufs = this.memory.iovecs(iovs, count);
    this.pay(bufs.reduce((s, b) => s + b.length, 0));
    this.memory.u32At(nwritten, this.writeFrom(this.fd(fd), bufs));
    return ERRNO.SUCCESS;
  }

  fd_pwrite(fd: number, iovs: number, count: number, offset: bigint, nwritten: number) {
    const bufs = this.memory.iovecs(iovs, count);
    this.pay(bufs.reduce((s, b) => s + b.length, 0));
    const f = this.fd(fd);
    if (f.kind !== "file") return f.kind === "dir" ? ERRNO.ISDIR : ERRNO.SPIPE;
    this.memory.u32At(nwritten, this.writeFrom(f, bufs, safeOffset(offset)));
    return ERRNO.SUCCESS;
  }

  fd_seek(fd: number, offset: bigint, whence: number, out: number) {
    this.pay(0);
    const f = this.fd(fd);
    if (f.kind !== "file") return f.kind === "dir" ? ERRNO.ISDIR : ERRNO.SPIPE;
    const base = whence === WHENCE.SET ? 0n : whence === WHENCE.CUR ? BigInt(f.pos) : whence === WHENCE.END ? BigInt(f.node.size) : -1n;
    if (base < 0n) return ERRNO.INVAL;
    const next = base + offset;
    if (next < 0n) return ERRNO.INVAL;
    f.pos = safeOffset(next);
    this.memory.u64At(out, f.pos);
    return ERRNO.SUCCESS;
  }

  fd_tell(fd: number, out: number) {
    this.pay(0);
    const f = this.fd(fd);
    if (f.kind !== "file") return ERRNO.SPIPE;
    this.memory.u64At(out, f.pos);
    return ERRNO.SUCCESS;
  }

  fd_close(fd: number) {
    this.pay(0);
    this.fd(fd);
    this.fds.delete(fd);
    return ERRNO.SUCCESS;
  }

  fd_renumber(from: number, to: number) {
    this.pay(0);
    const f = this.fd(from);
    this.fd(to);
    this.fds.set(to, f);
    this.fds.delete(from);
    return ERRNO.SUCCESS;
  }

  fd_advise(fd: number) { this.pay(0); this.fd(fd); return ERRNO.SUCCESS; }
  fd_datasync(fd: number) { this.pay(0); this.fd(fd); return ERRNO.SUCCESS; }
  fd_sync(fd: number) { this.pay(0); this.fd(fd); return ERRNO.SUCCESS; }
  fd_fdstat_set_rights(fd: number) { this.pay(0); this.fd(fd); return ERRNO.SUCCESS; }

  fd_allocate(fd: number, offset: bigint, len: bigint) {
    this.pay(0);
    const f = this.fd(fd);
    if (f.kind !== "file" || !f.write) return ERRNO.BADF;
    const end = safeOffset(offset + len);
    if (end > f.node.size) this.fs.resize(f.node, end);
    return ERRNO.SUCCESS;
  }

  fd_fdstat_get(fd: number, out: number) {
    this.pay(0);
    const f = this.fd(fd);
    this.memory.bytes(out, 24).fill(0);
    // stdio report "unknown" (a pipe): not a tty, so libc buffers fully on every machine.
    this.memory.u8At(out, f.kind === "dir" ? FILETYPE.DIRECTORY : f.kind === "file" ? FILETYPE.REGULAR_FILE : FILETYPE.UNKNOWN);
    this.memory.u16At(out + 2, f.kind === "file" && f.append ? FDFLAGS.APPEND : 0);
    this.memory.u64At(out + 8, RIGHTS.ALL);
    this.memory.u64At(out + 16, RIGHTS.ALL);
    return ERRNO.SUCCESS;
  }

  fd_fdstat_set_flags(fd: number, flags: number) {
    this.pay(0);
    const f = this.fd(fd);
    if (f.kind === "file") f.append = (flags & FDFLAGS.APPEND) !== 0;
    return ERRNO.SUCCESS;
  }

  private filestat(out: number, node: Node | undefined, filetype: number): void {
    this.memory.bytes(out, 64).fill(0);
    this.memory.u64At(out + 8, node?.ino ?? 0);
    this.memory.u8At(out + 16, filetype);
    this.memory.u64At(out + 24, 1);
    this.memory.u64At(out + 32, node?.kind === "file" ? node.size : 0);
    for (const at of [40, 48, 56]) this.memory.u64At(out + at, FIXED_CLOCK_NS);
  }

  fd_filestat_get(fd: number, out: number) {
    this.pay(0);
    const f = this.fd(fd);
    if (f.kind === "file" || f.kind === "dir") this.filestat(out, f.node, f.kind === "file" ? FILETYPE.REGULAR_FILE : FILETYPE.DIRECTORY);
    else this.filestat(out, undefined, FILETYPE.UNKNOWN);
    return ERRNO.SUCCESS;
  }

  fd_filestat_set_size(fd: number, size: bigint) {
    this.pay(0);
    const f = this.fd(fd);
    if (f.kind !== "file") return ERRNO.BADF;
    if (!f.node.writable) return ERRNO.ROFS;
    if (!f.write) return ERRNO.BADF;
    this.fs.resize(f.node, safeOffset(size));
    return ERRNO.SUCCESS;
  }

  /** Timestamps are fixed by the protocol, so setting them succeeds and changes nothing. */
  fd_filestat_set_times(fd: number) {
    this.pay(0);
    const f = this.fd(fd);
    return (f.kind === "file" || f.kind === "dir") && !f.node.writable ? ERRNO.ROFS : ERRNO.SUCCESS;
  }

  fd_prestat_get(fd: number, out: number) {
    this.pay(0);
    const f = this.fd(fd);
    if (f.kind !== "dir" || !f.preopen) return ERRNO.BADF;
    this.memory.u32At(out, 0);
    this.memory.u32At(out + 4, encoder.encode(f.preopen).length);
    return ERRNO.SUCCESS;
  }

  fd_prestat_dir_name(fd: number, ptr: number, len: number) {
    this.pay(0);
    const f = this.fd(fd);
    if (f.kind !== "dir" || !f.preopen) return ERRNO.BADF;
    const name = encoder.encode(f.preopen);
    if (len >>> 0 < name.length) return ERRNO.NAMETOOLONG;
    this.memory.bytes(ptr, name.length).set(name);
    return ERRNO.SUCCESS;
  }

  /** Entries in UTF-8 byte order after "." and ".."; the cookie is the next entry's index. */
  fd_readdir(fd: number, buf: number, len: number, cookie: bigint, usedPtr: number) {
    this.pay(len >>> 0);
    const d = this.dirFd(fd);
    const names = [".", "..", ...[...d.node.entries.keys()].sort(compareUtf8)];
    const out = this.memory.bytes(buf, len);
    let used = 0;
    for (let i = Number(cookie < BigInt(names.length) ? cookie : BigInt(names.length)); i < names.length && used < out.length; i++) {
      const name = encoder.encode(names[i]!);
      const node = i === 0 ? d.node : i === 1 ? (d.chain[d.chain.length - 2] ?? d.node) : d.node.entries.get(names[i]!)!;
      const entry = new Uint8Array(24 + name.length);
      const v = new DataView(entry.buffer);
      v.setBigUint64(0, BigInt(i + 1), true);
      v.setBigUint64(8, BigInt(node.ino), true);
      v.setUint32(16, name.length, true);
      v.setUint8(20, node.kind === "dir" ? FILETYPE.DIRECTORY : FILETYPE.REGULAR_FILE);
      entry.set(name, 24);
      const n = Math.min(entry.length, out.length - used);
      out.set(entry.subarray(0, n), used);
      used += n;
    }
    this.memory.u32At(usedPtr, used);
    return ERRNO.SUCCESS;
  }

  // --- paths ---

  path_open(dirfd: number, _lookup: number, ptr: number, len: number, oflags: number, rights: bigint, _inheriting: bigint, fdflags: number, out: number) {
    this.pay(len >>> 0);
    const p = this.path(dirfd, ptr, len);
    let node = p.node;
    const write = (rights & RIGHTS.FD_WRITE) !== 0n || (oflags & OFLAGS.TRUNC) !== 0;
    if (node && oflags & OFLAGS.CREAT && oflags & OFLAGS.EXCL) return ERRNO.EXIST;
    if (!node) {
      if (!(oflags & OFLAGS.CREAT) || p.name === undefined) return ERRNO.NOENT;
      if (oflags & OFLAGS.DIRECTORY) return ERRNO.INVAL;
      if (!p.parent.writable) return ERRNO.ROFS;
      node = this.fs.createFile(p.parent, p.name);
    }
    if (oflags & OFLAGS.DIRECTORY && node.kind !== "dir") return ERRNO.NOTDIR;
    const n = this.lowestFree();
    if (node.kind === "dir") {
      if (write) return ERRNO.ISDIR;
      const chain = p.name === undefined ? p.chain : [...p.chain, node];
      this.fds.set(n, { kind: "dir", node, chain });
    } else {
      if (write && !node.writable) return ERRNO.ROFS;
      if (oflags & OFLAGS.TRUNC) this.fs.resize(node, 0);
      const read = (rights & RIGHTS.FD_READ) !== 0n || !write;
      this.fds.set(n, { kind: "file", node, pos: 0, read, write, append: (fdflags & FDFLAGS.APPEND) !== 0 });
    }
    this.memory.u32At(out, n);
    return ERRNO.SUCCESS;
  }

  private lowestFree(): number {
    let n = 0;
    while (this.fds.has(n)) n++;
    return n;
  }

  path_filestat_get(dirfd: number, _flags: number, ptr: number, len: number, out: number) {
    this.pay(len >>> 0);
    const { node } = this.path(dirfd, ptr, len);
    if (!node) return ERRNO.NOENT;
    this.filestat(out, node, node.kind === "dir" ? FILETYPE.DIRECTORY : FILETYPE.REGULAR_FILE);
    return ERRNO.SUCCESS;
  }

  path_filestat_set_times(dirfd: number, _flags: number, ptr: number, len: number) {
    this.pay(len >>> 0);
    const { node } = this.path(dirfd, ptr, len);
    if (!node) return ERRNO.NOENT;
    return node.writable ? ERRNO.SUCCESS : ERRNO.ROFS;
  }

  path_create_directory(dirfd: number, ptr: number, len: number) {
    this.pay(len >>> 0);
    const p = this.path(dirfd, ptr, len);
    if (p.node || p.name === undefined) return ERRNO.EXIST;
    if (!p.parent.writable) return ERRNO.ROFS;
    p.parent.entries.set(p.name, this.fs.dir(true));
    return ERRNO.SUCCESS;
  }

  path_remove_directory(dirfd: number, ptr: number, len: number) {
    this.pay(len >>> 0);
    const p = this.path(dirfd, ptr, len);
    if (!p.node) return ERRNO.NOENT;
    if (p.name === undefined) return ERRNO.INVAL;
    if (p.node.kind !== "dir") return ERRNO.NOTDIR;
    if (!p.parent.writable) return ERRNO.ROFS;
    if (p.node.entries.size) return ERRNO.NOTEMPTY;
    p.parent.entries.delete(p.name);
    return ERRNO.SUCCESS;
  }

  path_unlink_file(dirfd: number, ptr: number, len: number) {
    this.pay(len >>> 0);
    const p = this.path(dirfd, ptr, len);
    if (!p.node) return ERRNO.NOENT;
    if (p.node.kind === "dir" || p.name === undefined) return ERRNO.ISDIR;
    if (!p.parent.writable) return ERRNO.ROFS;
    this.fs.remove(p.parent, p.name);
    return ERRNO.SUCCESS;
  }

  path_rename(fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) {
    this.pay((oldLen >>> 0) + (newLen >>> 0));
    const from = this.path(fd, oldPtr, oldLen);
    const to = this.path(newFd, newPtr, newLen);
    if (!from.node) return ERRNO.NOENT;
    if (from.name === undefined || to.name === undefined) return ERRNO.INVAL;
    if (!from.parent.writable || !to.parent.writable) return ERRNO.ROFS;
    if (from.node === to.node) return ERRNO.SUCCESS;
    if (from.node.kind === "dir" && to.chain.includes(from.node)) return ERRNO.INVAL;
    if (to.node) {
      if (to.node.kind !== from.node.kind) return to.node.kind === "dir" ? ERRNO.ISDIR : ERRNO.NOTDIR;
      if (to.node.kind === "dir" && to.node.entries.size) return ERRNO.NOTEMPTY;
      this.fs.remove(to.parent, to.name);
    }
    from.parent.entries.delete(from.name);
    to.parent.entries.set(to.name, from.node);
    return ERRNO.SUCCESS;
  }

  /** The sandbox has no links: every link operation is refused the same way everywhere. */
  path_link() { this.pay(0); return ERRNO.NOTSUP; }
  path_symlink() { this.pay(0); return ERRNO.NOTSUP; }

  path_readlink(dirfd: number, ptr: number, len: number) {
    this.pay(len >>> 0);
    return this.path(dirfd, ptr, len).node ? ERRNO.INVAL : ERRNO.NOENT;
  }
}

function safeOffset(v: bigint): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Errno(ERRNO.INVAL);
  return Number(v);
}

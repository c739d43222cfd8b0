/**
 * Reading, writing and sizing through descriptors, and directory listings. Iovec lists are
 * read in place from guest memory: their count is charged before the list is even looked at,
 * and no host object is made per iovec beyond a view of a non-empty buffer being copied.
 */
import { BYTES_PER_FUEL, FIXED_CLOCK_NS, FUEL_PER_DIRENT, FUEL_PER_IOVEC, FUEL_PER_SORTED_ENTRY, MAX_PATH_BYTES } from "../constants.ts";
import { ERRNO, FDFLAGS, FILETYPE, FSTFLAGS, WHENCE } from "./errno.ts";
import { type DirFd, type FileFd, type Fd, WasiFds } from "./fds.ts";
import { Errno, type Node } from "./fs.ts";
import { RIGHT } from "./rights.ts";

export class WasiIo extends WasiFds {
  /**
   * A descriptor to read or write through. The type's own errno comes before the rights, as
   * on Linux: reading a directory is ISDIR, a positional call on stdio is SPIPE.
   */
  private streamFd(n: number, need: number, positional: boolean): Fd {
    const f = this.fds.get(n);
    if (!f) throw new Errno(ERRNO.BADF);
    if (f.kind === "dir") throw new Errno(ERRNO.ISDIR);
    if (positional && f.kind !== "file") throw new Errno(ERRNO.SPIPE);
    return this.fd(n, need);
  }

  /** Charges the call, its iovecs and their bytes (in that order); returns the total length. */
  private payIovecs(iovs: number, count: number): number {
    this.pay(0, (count >>> 0) * FUEL_PER_IOVEC);
    const bytes = this.memory.iovecBytes(iovs, count);
    this.more(Math.floor(bytes / BYTES_PER_FUEL));
    return bytes;
  }

  private readIovecs(src: Uint8Array, pos: number, iovs: number, count: number): number {
    const u8 = this.memory.u8;
    let total = 0;
    for (let at = iovs >>> 0, end = at + (count >>> 0) * 8; at < end && pos < src.length; at += 8) {
      const ptr = this.memory.u32Checked(at);
      const len = this.memory.u32Checked(at + 4);
      const n = Math.min(len, src.length - pos);
      if (n > 0) u8.set(src.subarray(pos, pos + n), ptr);
      pos += n;
      total += n;
      if (n < len) break;
    }
    return total;
  }

  /** The readable bytes and position of a descriptor that holds FD_READ. */
  private source(f: Fd, at?: number): { src: Uint8Array; pos: number } {
    if (f.kind === "stdin") return { src: this.stdin, pos: this.stdinPos };
    if (f.kind === "file") return { src: f.node.data.subarray(0, f.node.size), pos: at ?? f.pos };
    throw new Errno(ERRNO.BADF); // unreachable: only stdin and files can hold FD_READ
  }

  fd_read(fd: number, iovs: number, count: number, nread: number) {
    this.payIovecs(iovs, count);
    const f = this.streamFd(fd, RIGHT.FD_READ, false);
    this.memory.check(nread, 4);
    const { src, pos } = this.source(f);
    const n = this.readIovecs(src, pos, iovs, count);
    if (f.kind === "stdin") this.stdinPos += n;
    else if (f.kind === "file") f.pos += n;
    this.memory.u32At(nread, n);
    return ERRNO.SUCCESS;
  }

  fd_pread(fd: number, iovs: number, count: number, offset: bigint, nread: number) {
    this.payIovecs(iovs, count);
    const f = this.streamFd(fd, RIGHT.FD_READ | RIGHT.FD_SEEK, true);
    this.memory.check(nread, 4);
    const { src, pos } = this.source(f, safeOffset(offset));
    this.memory.u32At(nread, this.readIovecs(src, pos, iovs, count));
    return ERRNO.SUCCESS;
  }

  /**
   * stdout/stderr keep what fits under their cap, then the run ends. A file write is checked
   * against the /output cap as a whole first: one that would pass it ends the run unapplied.
   */
  private writeIovecs(f: Fd, iovs: number, count: number, bytes: number, at?: number): number {
    const u8 = this.memory.u8;
    const end = (iovs >>> 0) + (count >>> 0) * 8;
    if (f.kind === "stdout" || f.kind === "stderr") {
      const sink = f.kind === "stdout" ? this.stdout : this.stderr;
      for (let p = iovs >>> 0; p < end; p += 8) {
        const ptr = this.memory.u32Checked(p);
        const len = this.memory.u32Checked(p + 4);
        if (len > 0 && !sink.append(u8.subarray(ptr, ptr + len))) sink.overflow();
      }
      return bytes;
    }
    if (f.kind !== "file") throw new Errno(ERRNO.BADF); // unreachable: only stdout, stderr and files hold FD_WRITE
    const node = f.node;
    let pos = at ?? ((f.flags & FDFLAGS.APPEND) !== 0 ? node.size : f.pos);
    if (!Number.isSafeInteger(pos + bytes)) throw new Errno(ERRNO.FBIG);
    // A write past the end also zero-fills the hole before it: that is host work too.
    this.more(Math.floor(Math.max(0, pos - node.size) / BYTES_PER_FUEL));
    this.fs.checkGrowth(node, pos + bytes);
    if (pos + bytes > node.size) this.fs.resize(node, pos + bytes);
    for (let p = iovs >>> 0; p < end; p += 8) {
      const ptr = this.memory.u32Checked(p);
      const len = this.memory.u32Checked(p + 4);
      if (len > 0) node.data.set(u8.subarray(ptr, ptr + len), pos);
      pos += len;
    }
    if (at === undefined) f.pos = pos;
    return bytes;
  }

  fd_write(fd: number, iovs: number, count: number, nwritten: number) {
    const bytes = this.payIovecs(iovs, count);
    const f = this.streamFd(fd, RIGHT.FD_WRITE, false);
    this.memory.check(nwritten, 4);
    this.memory.u32At(nwritten, this.writeIovecs(f, iovs, count, bytes));
    return ERRNO.SUCCESS;
  }

  fd_pwrite(fd: number, iovs: number, count: number, offset: bigint, nwritten: number) {
    const bytes = this.payIovecs(iovs, count);
    const f = this.streamFd(fd, RIGHT.FD_WRITE | RIGHT.FD_SEEK, true);
    this.memory.check(nwritten, 4);
    this.memory.u32At(nwritten, this.writeIovecs(f, iovs, count, bytes, safeOffset(offset)));
    return ERRNO.SUCCESS;
  }

  /**
   * Seeking nowhere (CUR, 0) is telling, so FD_TELL is enough for it. stdio is a pipe (SPIPE);
   * a directory's position is always 0, so it can be told but not moved (it lacks FD_SEEK).
   */
  fd_seek(fd: number, offset: bigint, whence: number, out: number) {
    this.pay();
    const tell = whence === WHENCE.CUR && offset === 0n;
    const f = this.positioned(fd, tell ? RIGHT.FD_TELL : RIGHT.FD_SEEK);
    const pos = f.kind === "file" ? f.pos : 0;
    const base = whence === WHENCE.SET ? 0n : whence === WHENCE.CUR ? BigInt(pos) : whence === WHENCE.END && f.kind === "file" ? BigInt(f.node.size) : -1n;
    if (base < 0n) return ERRNO.INVAL;
    const next = base + offset;
    if (next < 0n) return ERRNO.INVAL;
    this.memory.check(out, 8);
    const at = safeOffset(next);
    if (f.kind === "file") f.pos = at;
    this.memory.u64At(out, at);
    return ERRNO.SUCCESS;
  }

  fd_tell(fd: number, out: number) {
    this.pay();
    const f = this.positioned(fd, RIGHT.FD_TELL);
    this.memory.u64At(out, f.kind === "file" ? f.pos : 0);
    return ERRNO.SUCCESS;
  }

  /** FD_SEEK implies FD_TELL, so a descriptor holding either may tell. */
  private positioned(n: number, need: number): FileFd | DirFd {
    const f = this.fds.get(n);
    if (!f) throw new Errno(ERRNO.BADF);
    if (f.kind !== "file" && f.kind !== "dir") throw new Errno(ERRNO.SPIPE);
    const held = f.base & RIGHT.FD_SEEK ? f.base | RIGHT.FD_TELL : f.base;
    if ((held & need) !== need) throw new Errno(ERRNO.NOTCAPABLE);
    return f;
  }

  /** Resizes a file, first charging the bytes it fills or clears and checking the /output cap. */
  private setSize(f: FileFd, size: number): void {
    this.more(Math.floor(Math.abs(size - f.node.size) / BYTES_PER_FUEL));
    this.fs.resize(f.node, size);
  }

  fd_allocate(fd: number, offset: bigint, len: bigint) {
    this.pay();
    const f = this.fd(fd, RIGHT.FD_ALLOCATE) as FileFd;
    const end = safeOffset(offset + len);
    if (end > f.node.size) this.setSize(f, end);
    return ERRNO.SUCCESS;
  }

  fd_filestat_set_size(fd: number, size: bigint) {
    this.pay();
    const f = this.fd(fd, RIGHT.FD_FILESTAT_SET_SIZE) as FileFd;
    this.setSize(f, safeOffset(size));
    return ERRNO.SUCCESS;
  }

  protected filestat(out: number, node: Node | undefined): void {
    this.memory.zero(out, 64);
    this.memory.u64At(out + 8, node?.ino ?? 0);
    this.memory.u8At(out + 16, !node ? FILETYPE.UNKNOWN : node.kind === "dir" ? FILETYPE.DIRECTORY : FILETYPE.REGULAR_FILE);
    this.memory.u64At(out + 24, 1);
    this.memory.u64At(out + 32, node?.kind === "file" ? node.size : 0);
    for (const at of [40, 48, 56]) this.memory.u64At(out + at, FIXED_CLOCK_NS);
  }

  fd_filestat_get(fd: number, out: number) {
    this.pay();
    const f = this.fd(fd, RIGHT.FD_FILESTAT_GET);
    this.filestat(out, f.kind === "file" || f.kind === "dir" ? f.node : undefined);
    return ERRNO.SUCCESS;
  }

  /** Timestamps are fixed by the protocol, so setting them succeeds and changes nothing. */
  fd_filestat_set_times(fd: number, _atim: bigint, _mtim: bigint, fst: number) {
    this.pay();
    this.fd(fd, RIGHT.FD_FILESTAT_SET_TIMES);
    return validTimes(fst) ? ERRNO.SUCCESS : ERRNO.INVAL;
  }

  /**
   * Entries in UTF-8 byte order after "." and ".."; the cookie is the next entry's index. The
   * sorted listing is kept until the directory changes, so a cookie deep into it costs nothing
   * to reach; building it is charged per entry, and each entry written is charged.
   */
  fd_readdir(fd: number, buf: number, len: number, cookie: bigint, usedPtr: number) {
    this.pay(len >>> 0);
    const d = this.fd(fd, RIGHT.FD_READDIR);
    if (d.kind !== "dir") return ERRNO.NOTDIR; // unreachable: only directories hold FD_READDIR
    const dir = d.node;
    if (!dir.listing) this.more(dir.entries.size * FUEL_PER_SORTED_ENTRY);
    const { nodes } = this.fs.listing(dir);
    // Checked, not viewed: a subarray per call costs more than writing one entry.
    this.memory.check(buf, len);
    this.memory.check(usedPtr, 4);
    const total = nodes.length + 2;
    const first = cookie >= total ? total : Number(cookie);
    const size = len >>> 0;
    // Count what fits (a last entry may be cut short) and charge it before writing any.
    let last = first;
    for (let used = 0; last < total && used < size; last++) used += 24 + (last < 2 ? last + 1 : nodes[last - 2]!.name.length);
    this.more((last - first) * FUEL_PER_DIRENT);
    const { u8, view } = this.memory;
    let at = buf >>> 0;
    const end = at + size;
    for (let i = first; i < last; i++) {
      const node: Node = i === 0 ? dir : i === 1 ? (dir.parent ?? dir) : nodes[i - 2]!;
      const name = i === 0 ? DOT : i === 1 ? DOTDOT : node.name;
      if (at + 24 + name.length <= end) {
        writeDirent(view, at, i + 1, node, name.length);
        // Short names byte by byte: TypedArray.set is a builtin call worth ~64 bytes of copying.
        if (name.length <= 64) for (let k = 0; k < name.length; k++) u8[at + 24 + k] = name[k]!;
        else u8.set(name, at + 24);
      } else {
        // The last entry, cut short: written whole into a scratch copy, then what fits.
        writeDirent(SCRATCH_VIEW, 0, i + 1, node, name.length);
        SCRATCH.set(name, 24);
        u8.set(SCRATCH.subarray(0, end - at), at);
      }
      at += 24 + name.length;
    }
    const used = Math.min(at, end) - (buf >>> 0);
    this.memory.u32At(usedPtr, used);
    return ERRNO.SUCCESS;
  }
}

/** A dirent's 24-byte header (d_next, d_ino, d_namlen, d_type and padding); d_next and d_ino fit in 32 bits. */
function writeDirent(view: DataView, at: number, next: number, node: Node, nameLength: number): void {
  view.setUint32(at, next, true);
  view.setUint32(at + 4, 0, true);
  view.setUint32(at + 8, node.ino, true);
  view.setUint32(at + 12, 0, true);
  view.setUint32(at + 16, nameLength, true);
  view.setUint32(at + 20, node.kind === "dir" ? FILETYPE.DIRECTORY : FILETYPE.REGULAR_FILE, true);
}

const DOT = Uint8Array.of(46);
/** Room for one whole dirent: names are at most MAX_PATH_BYTES long. */
const SCRATCH = new Uint8Array(24 + MAX_PATH_BYTES);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);
const DOTDOT = Uint8Array.of(46, 46);

/** ATIM with ATIM_NOW, or MTIM with MTIM_NOW, or an unknown bit, is INVAL. */
export function validTimes(fst: number): boolean {
  if ((fst & 0xffff & ~FSTFLAGS.ALL) !== 0) return false;
  return !((fst & FSTFLAGS.ATIM && fst & FSTFLAGS.ATIM_NOW) || (fst & FSTFLAGS.MTIM && fst & FSTFLAGS.MTIM_NOW));
}

export function safeOffset(v: bigint): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Errno(ERRNO.INVAL);
  return Number(v);
}

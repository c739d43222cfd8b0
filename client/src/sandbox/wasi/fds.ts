/**
 * The descriptor table and the calls that only read or change a descriptor (close, renumber,
 * fdstat, prestat, sync, advise). Each descriptor carries the rights WASI preview 1 gives it;
 * every call checks the rights it needs (NOTCAPABLE when one is missing).
 */
import { BYTES_PER_FUEL, FUEL_PER_HOST_CALL, MAX_OPEN_FDS } from "../constants.ts";
import type { SandboxJob } from "../types.ts";
import { ADVICE_COUNT, ERRNO, FDFLAGS, FILETYPE } from "./errno.ts";
import { type DirNode, Errno, type FileNode, MemoryFs } from "./fs.ts";
import { GuestMemory } from "./memory.ts";
import { dirRights, RIGHT, rightsFrom, STDIN_RIGHTS, STDOUT_RIGHTS, WRITE_RIGHTS } from "./rights.ts";
import { StreamSink } from "./streams.ts";

type Rights = { base: number; inheriting: number; flags: number };
export type StdioFd = Rights & { kind: "stdin" | "stdout" | "stderr" };
export type FileFd = Rights & { kind: "file"; node: FileNode; pos: number };
export type DirFd = Rights & { kind: "dir"; node: DirNode; preopen?: string };
export type Fd = StdioFd | FileFd | DirFd;

export type WasiHostOptions = {
  job: SandboxJob;
  /** Charges fuel; throws RunEnd(out_of_fuel) when it runs out. */
  charge: (units: number) => void;
};

const encoder = new TextEncoder();

/**
 * The errno for a missing right: ROFS when the descriptor lacks only rights that change things
 * and its tree is read-only (so it never had them; Linux says EROFS there), NOTCAPABLE otherwise.
 */
export function missingRight(fd: Fd, need: number): number {
  const missing = need & ~fd.base;
  const readOnly = (fd.kind === "file" || fd.kind === "dir") && !fd.node.writable;
  return readOnly && (missing & WRITE_RIGHTS) === missing ? ERRNO.ROFS : ERRNO.NOTCAPABLE;
}

export class WasiFds {
  readonly memory = new GuestMemory();
  readonly fs: MemoryFs;
  readonly stdout: StreamSink;
  readonly stderr: StreamSink;
  protected readonly stdin: Uint8Array;
  protected stdinPos = 0;
  protected readonly fds = new Map<number, Fd>();
  /** Closed numbers below `nextFd`, ascending: new descriptors take the lowest free number. */
  private readonly freeFds: number[] = [];
  private nextFd = 0;
  protected readonly charge: (units: number) => void;

  constructor({ job, charge }: WasiHostOptions) {
    this.charge = charge;
    this.fs = new MemoryFs(job.inputs ?? {}, job.limits);
    this.stdout = new StreamSink(job.limits.stdoutBytes, "stdout");
    this.stderr = new StreamSink(job.limits.stderrBytes, "stderr");
    this.stdin = job.stdin ?? new Uint8Array(0);
    this.install({ kind: "stdin", base: STDIN_RIGHTS, inheriting: 0, flags: 0 });
    this.install({ kind: "stdout", base: STDOUT_RIGHTS, inheriting: 0, flags: 0 });
    this.install({ kind: "stderr", base: STDOUT_RIGHTS, inheriting: 0, flags: 0 });
    this.install({ kind: "dir", node: this.fs.input, preopen: "/input", ...dirRights(false), flags: 0 });
    this.install({ kind: "dir", node: this.fs.output, preopen: "/output", ...dirRights(true), flags: 0 });
  }

  /** The base charge of every call, plus 1 per BYTES_PER_FUEL bytes it moves and any unit costs. */
  protected pay(bytes = 0, units = 0): void {
    this.charge(FUEL_PER_HOST_CALL + Math.floor(bytes / BYTES_PER_FUEL) + units);
  }

  /** A further charge within a call; none is made for nothing (each costs a fuel-global round trip). */
  protected more(units: number): void {
    if (units > 0) this.charge(units);
  }

  /** The descriptor `n`, which must hold every right in `need`. */
  protected fd(n: number, need = 0): Fd {
    const fd = this.fds.get(n);
    if (!fd) throw new Errno(ERRNO.BADF);
    if ((fd.base & need) !== need) throw new Errno(missingRight(fd, need));
    return fd;
  }

  protected dirFd(n: number, need: number): DirFd {
    const fd = this.fds.get(n);
    if (!fd) throw new Errno(ERRNO.BADF);
    if (fd.kind !== "dir") throw new Errno(ERRNO.NOTDIR);
    if ((fd.base & need) !== need) throw new Errno(missingRight(fd, need));
    return fd;
  }

  protected openFds(): number {
    return this.fds.size;
  }

  /** Gives `fd` the lowest free number; MFILE past MAX_OPEN_FDS. */
  protected install(fd: Fd): number {
    if (this.fds.size >= MAX_OPEN_FDS) throw new Errno(ERRNO.MFILE);
    const n = this.freeFds.length ? this.freeFds.shift()! : this.nextFd++;
    this.fds.set(n, fd);
    return n;
  }

  private release(n: number): void {
    this.fds.delete(n);
    let lo = 0;
    let hi = this.freeFds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.freeFds[mid]! < n) lo = mid + 1;
      else hi = mid;
    }
    this.freeFds.splice(lo, 0, n);
  }

  fd_close(fd: number) {
    this.pay();
    this.fd(fd);
    this.release(fd);
    return ERRNO.SUCCESS;
  }

  /** Moves `from` onto `to` (closing what `to` was); renumbering a descriptor onto itself changes nothing. */
  fd_renumber(from: number, to: number) {
    this.pay();
    const f = this.fd(from);
    this.fd(to);
    if (from === to) return ERRNO.SUCCESS;
    this.fds.set(to, f);
    this.release(from);
    return ERRNO.SUCCESS;
  }

  fd_fdstat_get(fd: number, out: number) {
    this.pay();
    const f = this.fd(fd);
    this.memory.zero(out, 24);
    // stdio report "unknown" (a pipe): not a tty, so libc buffers fully on every machine.
    this.memory.u8At(out, f.kind === "dir" ? FILETYPE.DIRECTORY : f.kind === "file" ? FILETYPE.REGULAR_FILE : FILETYPE.UNKNOWN);
    this.memory.u16At(out + 2, f.flags);
    this.memory.u64At(out + 8, f.base);
    this.memory.u64At(out + 16, f.inheriting);
    return ERRNO.SUCCESS;
  }

  /** Every fdflag is kept and reported back; only APPEND changes what the sandbox does. */
  fd_fdstat_set_flags(fd: number, flags: number) {
    this.pay();
    const f = this.fd(fd, RIGHT.FD_FDSTAT_SET_FLAGS);
    if ((flags & 0xffff & ~FDFLAGS.ALL) !== 0) return ERRNO.INVAL;
    f.flags = flags & FDFLAGS.ALL;
    return ERRNO.SUCCESS;
  }

  /** Rights can only be dropped: asking for one the descriptor lacks is NOTCAPABLE. */
  fd_fdstat_set_rights(fd: number, base: bigint, inheriting: bigint) {
    this.pay();
    const f = this.fd(fd);
    const b = rightsFrom(base);
    const i = rightsFrom(inheriting);
    if (b.unknown || i.unknown || (b.rights & ~f.base) !== 0 || (i.rights & ~f.inheriting) !== 0) return ERRNO.NOTCAPABLE;
    f.base = b.rights;
    f.inheriting = i.rights;
    return ERRNO.SUCCESS;
  }

  fd_prestat_get(fd: number, out: number) {
    this.pay();
    const f = this.fd(fd);
    if (f.kind !== "dir" || !f.preopen) return ERRNO.BADF;
    this.memory.check(out, 8);
    this.memory.u32At(out, 0);
    this.memory.u32At(out + 4, encoder.encode(f.preopen).length);
    return ERRNO.SUCCESS;
  }

  fd_prestat_dir_name(fd: number, ptr: number, len: number) {
    this.pay();
    const f = this.fd(fd);
    if (f.kind !== "dir" || !f.preopen) return ERRNO.BADF;
    const name = encoder.encode(f.preopen);
    if (len >>> 0 < name.length) return ERRNO.NAMETOOLONG;
    this.memory.bytes(ptr, name.length).set(name);
    return ERRNO.SUCCESS;
  }

  fd_advise(fd: number, _offset: bigint, _len: bigint, advice: number) {
    this.pay();
    this.fd(fd, RIGHT.FD_ADVISE);
    return advice >>> 0 < ADVICE_COUNT ? ERRNO.SUCCESS : ERRNO.INVAL;
  }

  fd_datasync(fd: number) { this.pay(); this.fd(fd, RIGHT.FD_DATASYNC); return ERRNO.SUCCESS; }
  fd_sync(fd: number) { this.pay(); this.fd(fd, RIGHT.FD_SYNC); return ERRNO.SUCCESS; }
}

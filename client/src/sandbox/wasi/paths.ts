/**
 * The path_* calls. A path is resolved from its directory descriptor and never leaves that
 * directory's subtree. Its bytes and components are charged before the walk; creating a node
 * and the /output path-length checks are charged per node and per level.
 */
import { BYTES_PER_FUEL, FUEL_PER_NODE, FUEL_PER_PATH_BYTE, FUEL_PER_PATH_COMPONENT, MAX_OPEN_FDS, MAX_PATH_BYTES } from "../constants.ts";
import { ERRNO, FDFLAGS, OFLAGS } from "./errno.ts";
import type { DirFd } from "./fds.ts";
import { type DirNode, Errno, type Node, parsePath, utf8, walk } from "./fs.ts";
import { validTimes, WasiIo } from "./io.ts";
import { DIR_RIGHTS, fileRights, RIGHT, rightsFrom } from "./rights.ts";

const WALK_BATCH = 1024;

type Resolved = { dir: DirFd; parent: DirNode; name?: string; node?: Node; trailingSlash: boolean };

export class WasiPaths extends WasiIo {
  /**
   * Resolves a path argument from `dirfd`, which must be a directory holding `need`. The call's
   * base and the path's bytes were charged on entry (see payPath); its components are charged
   * once counted, before the walk.
   */
  private resolve(dirfd: number, need: number, ptr: number, len: number): Resolved {
    const dir = this.dirFd(dirfd, need);
    const parsed = parsePath(this.memory.path(ptr, len));
    this.more(parsed.parts.length * FUEL_PER_PATH_COMPONENT);
    const { parent, name } = walk(dir.node, parsed);
    const node = name === undefined ? parent : parent.entries.get(name);
    if (parsed.trailingSlash && node?.kind === "file") throw new Errno(ERRNO.NOTDIR);
    return { dir, parent, name, node, trailingSlash: parsed.trailingSlash };
  }

  /** The base charge with the bytes of the path arguments (none for one past MAX_PATH_BYTES: it is refused unread). */
  private payPath(...lens: number[]): void {
    this.pay(0, lens.reduce((n, len) => n + (len >>> 0 > MAX_PATH_BYTES ? 0 : len >>> 0), 0) * FUEL_PER_PATH_BYTE);
  }

  /**
   * The length of `dir`'s path below its tree's root, and whether `moving` is among its
   * ancestors (a directory may not move into its own subtree). The levels climbed are charged
   * after the climb, in one charge: every /output path is at most MAX_PATH_BYTES long, so it
   * is at most MAX_PATH_BYTES / 2 levels.
   */
  private climb(dir: DirNode, moving?: DirNode, extraFuel = 0): number {
    let bytes = 0;
    let levels = 0;
    let cycle = false;
    for (let d: DirNode | undefined = dir; d?.parent; d = d.parent) {
      levels++;
      if (d === moving) cycle = true;
      bytes += d.name.length + 1;
    }
    this.more(levels * FUEL_PER_PATH_COMPONENT + extraFuel);
    if (cycle) throw new Errno(ERRNO.INVAL);
    return bytes;
  }

  /** A new node's name must fit: NAMETOOLONG if its path from the root would pass MAX_PATH_BYTES. Charges the node too. */
  private checkRoom(parent: DirNode, name: string): Uint8Array {
    const bytes = utf8(name);
    if (this.climb(parent, undefined, FUEL_PER_NODE) + bytes.length > MAX_PATH_BYTES) throw new Errno(ERRNO.NAMETOOLONG);
    return bytes;
  }

  path_open(dirfd: number, _lookup: number, ptr: number, len: number, oflags: number, base: bigint, inheriting: bigint, fdflags: number, out: number) {
    this.payPath(len);
    const need = RIGHT.PATH_OPEN | (oflags & OFLAGS.CREAT ? RIGHT.PATH_CREATE_FILE : 0) | (oflags & OFLAGS.TRUNC ? RIGHT.PATH_FILESTAT_SET_SIZE : 0);
    if ((oflags & 0xffff & ~15) !== 0 || (fdflags & 0xffff & ~FDFLAGS.ALL) !== 0) {
      this.dirFd(dirfd, need);
      return ERRNO.INVAL;
    }
    const p = this.resolve(dirfd, need, ptr, len);
    const syncNeed = (fdflags & FDFLAGS.DSYNC ? RIGHT.FD_DATASYNC : 0) | (fdflags & (FDFLAGS.RSYNC | FDFLAGS.SYNC) ? RIGHT.FD_SYNC : 0);
    if ((p.dir.inheriting & syncNeed) !== syncNeed) return ERRNO.NOTCAPABLE;
    this.memory.check(out, 4);
    let node = p.node;
    if (node && oflags & OFLAGS.CREAT && oflags & OFLAGS.EXCL) return ERRNO.EXIST;
    if (!node) {
      if (!(oflags & OFLAGS.CREAT)) return ERRNO.NOENT;
      if (oflags & OFLAGS.DIRECTORY) return ERRNO.INVAL;
      if (p.trailingSlash) return ERRNO.ISDIR;
      if (this.openFds() >= MAX_OPEN_FDS) return ERRNO.MFILE;
      node = this.fs.createFile(p.parent, p.name!, this.checkRoom(p.parent, p.name!));
    }
    // The new descriptor gets what was asked for that the directory can pass on: libc and Rust
    // std ask broadly and take what they get (a file under /input opened for writing gets no
    // FD_WRITE, so its writes fail, not its open).
    const requested = rightsFrom(base).rights & p.dir.inheriting;
    const requestedInheriting = rightsFrom(inheriting).rights & p.dir.inheriting;
    const flags = fdflags & FDFLAGS.ALL;
    let n: number;
    if (node.kind === "dir") {
      // Rights a directory cannot use (FD_READ, FD_SEEK, ...) are dropped, as the spec allows:
      // libc and Rust std ask for broad rights and expect what applies. Asking to write one is
      // ISDIR, as open(2) with O_WRONLY or O_RDWR says (and wasmtime).
      if (oflags & OFLAGS.TRUNC || rightsFrom(base).rights & RIGHT.FD_WRITE) return ERRNO.ISDIR;
      n = this.install({ kind: "dir", node, base: requested & DIR_RIGHTS, inheriting: requestedInheriting, flags });
    } else {
      if (oflags & OFLAGS.DIRECTORY) return ERRNO.NOTDIR;
      const rights = fileRights(node.writable);
      if (oflags & OFLAGS.TRUNC && node.size > 0) {
        this.more(Math.floor(node.size / BYTES_PER_FUEL));
        this.fs.resize(node, 0);
      }
      n = this.install({ kind: "file", node, pos: 0, base: requested & rights, inheriting: 0, flags });
    }
    this.memory.u32At(out, n);
    return ERRNO.SUCCESS;
  }

  path_filestat_get(dirfd: number, _flags: number, ptr: number, len: number, out: number) {
    this.payPath(len);
    const { node } = this.resolve(dirfd, RIGHT.PATH_FILESTAT_GET, ptr, len);
    if (!node) return ERRNO.NOENT;
    this.filestat(out, node);
    return ERRNO.SUCCESS;
  }

  /** Timestamps are fixed by the protocol: a valid request succeeds and changes nothing. */
  path_filestat_set_times(dirfd: number, _flags: number, ptr: number, len: number, _atim: bigint, _mtim: bigint, fst: number) {
    this.payPath(len);
    const { node } = this.resolve(dirfd, RIGHT.PATH_FILESTAT_SET_TIMES, ptr, len);
    if (!validTimes(fst)) return ERRNO.INVAL;
    return node ? ERRNO.SUCCESS : ERRNO.NOENT;
  }

  path_create_directory(dirfd: number, ptr: number, len: number) {
    this.payPath(len);
    const p = this.resolve(dirfd, RIGHT.PATH_CREATE_DIRECTORY, ptr, len);
    if (p.node) return ERRNO.EXIST;
    this.fs.createDir(p.parent, p.name!, this.checkRoom(p.parent, p.name!));
    return ERRNO.SUCCESS;
  }

  path_remove_directory(dirfd: number, ptr: number, len: number) {
    this.payPath(len);
    const p = this.resolve(dirfd, RIGHT.PATH_REMOVE_DIRECTORY, ptr, len);
    if (!p.node) return ERRNO.NOENT;
    if (p.name === undefined) return ERRNO.INVAL; // "." or a path ending in ".."
    if (p.node.kind !== "dir") return ERRNO.NOTDIR;
    if (p.node.entries.size) return ERRNO.NOTEMPTY;
    this.fs.remove(p.parent, p.name);
    return ERRNO.SUCCESS;
  }

  path_unlink_file(dirfd: number, ptr: number, len: number) {
    this.payPath(len);
    const p = this.resolve(dirfd, RIGHT.PATH_UNLINK_FILE, ptr, len);
    if (!p.node) return ERRNO.NOENT;
    if (p.node.kind === "dir") return ERRNO.ISDIR;
    this.fs.remove(p.parent, p.name!);
    return ERRNO.SUCCESS;
  }

  /**
   * Moving a directory also walks the subtree it moves (to keep its paths within
   * MAX_PATH_BYTES) and the destination's ancestors (it may not move into itself), charging
   * each node and level.
   */
  path_rename(fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number) {
    this.payPath(oldLen, newLen);
    const from = this.resolve(fd, RIGHT.PATH_RENAME_SOURCE, oldPtr, oldLen);
    const to = this.resolve(newFd, RIGHT.PATH_RENAME_TARGET, newPtr, newLen);
    if (!from.node) return ERRNO.NOENT;
    if (from.name === undefined || to.name === undefined) return ERRNO.INVAL;
    if (from.node.kind === "file" && to.trailingSlash) return ERRNO.NOTDIR;
    if (from.node === to.node) return ERRNO.SUCCESS;
    if (to.node) {
      if (to.node.kind !== from.node.kind) return to.node.kind === "dir" ? ERRNO.ISDIR : ERRNO.NOTDIR;
      if (to.node.kind === "dir" && to.node.entries.size) return ERRNO.NOTEMPTY;
    }
    const below = from.node.kind === "dir" ? this.subtreeBytes(from.node) : 0;
    const name = utf8(to.name);
    if (this.climb(to.parent, from.node.kind === "dir" ? from.node : undefined) + name.length + below > MAX_PATH_BYTES) return ERRNO.NAMETOOLONG;
    this.fs.move(from.parent, from.name, to.parent, to.name, name);
    return ERRNO.SUCCESS;
  }

  /**
   * The longest path below `dir`, relative to it ("/" and all). Each node visited is charged,
   * in charges of at most WALK_BATCH nodes after they are visited, so the unpaid part of a walk
   * stays small however large the subtree.
   */
  private subtreeBytes(dir: DirNode): number {
    let max = 0;
    let unpaid = 0;
    const stack: [DirNode, number][] = [[dir, 0]];
    while (stack.length) {
      const [d, bytes] = stack.pop()!;
      for (const child of d.entries.values()) {
        if (++unpaid === WALK_BATCH) {
          this.more(unpaid * FUEL_PER_PATH_COMPONENT);
          unpaid = 0;
        }
        const b = bytes + 1 + child.name.length;
        if (b > max) max = b;
        if (child.kind === "dir") stack.push([child, b]);
      }
    }
    this.more(unpaid * FUEL_PER_PATH_COMPONENT);
    return max;
  }

  /** The sandbox has no links: after the descriptor checks, every link call is NOTSUP. */
  path_link(oldFd: number, _flags: number, _oldPtr: number, _oldLen: number, newFd: number) {
    this.pay();
    this.dirFd(oldFd, RIGHT.PATH_LINK_SOURCE);
    this.dirFd(newFd, RIGHT.PATH_LINK_TARGET);
    return ERRNO.NOTSUP;
  }

  path_symlink(_oldPtr: number, _oldLen: number, fd: number) {
    this.pay();
    this.dirFd(fd, RIGHT.PATH_SYMLINK);
    return ERRNO.NOTSUP;
  }

  /** Nothing is a symbolic link: an existing path is INVAL, as readlink(2) says. */
  path_readlink(dirfd: number, ptr: number, len: number) {
    this.payPath(len);
    return this.resolve(dirfd, RIGHT.PATH_READLINK, ptr, len).node ? ERRNO.INVAL : ERRNO.NOENT;
  }
}

/**
 * WASI preview 1 conformance of the descriptor calls, written from the witx (each function's
 * success path and the errnos it can return), against WasiHost over a real memory.
 */
import { describe, expect, it } from "vitest";
import { ERRNO, FDFLAGS, FILETYPE, FSTFLAGS, WHENCE } from "./errno.ts";
import { RunEnd } from "./fs.ts";
import { ALL_RIGHTS, DATA, harness, IOV, OUT } from "./harness.ts";
import { RIGHT } from "./rights.ts";

const text = (s: string) => new TextEncoder().encode(s);
const big = (r: number) => BigInt(r);

describe("fd_fdstat_get: accurate rights per descriptor", () => {
  it("reports stdin read-only and stdout/stderr write-only, as pipes", () => {
    const h = harness();
    const stdin = h.fdstat(0);
    expect([stdin.errno, stdin.filetype]).toEqual([0, FILETYPE.UNKNOWN]);
    expect(stdin.base & big(RIGHT.FD_READ)).not.toBe(0n);
    expect(stdin.base & big(RIGHT.FD_WRITE | RIGHT.FD_SEEK)).toBe(0n);
    for (const fd of [1, 2]) expect(h.fdstat(fd).base & big(RIGHT.FD_READ | RIGHT.FD_SEEK)).toBe(0n);
    expect(h.fdstat(1).base & big(RIGHT.FD_WRITE)).not.toBe(0n);
  });

  it("never gives a directory FD_READ, FD_WRITE, FD_SEEK or FD_FILESTAT_SET_SIZE, nor /input a right that changes it", () => {
    const h = harness({ inputs: { "a.txt": text("x") } });
    for (const fd of [3, 4]) {
      expect(h.fdstat(fd).filetype).toBe(FILETYPE.DIRECTORY);
      expect(h.fdstat(fd).base & big(RIGHT.FD_READ | RIGHT.FD_WRITE | RIGHT.FD_SEEK | RIGHT.FD_FILESTAT_SET_SIZE)).toBe(0n);
    }
    expect(h.fdstat(3).base & big(RIGHT.PATH_CREATE_FILE | RIGHT.PATH_CREATE_DIRECTORY | RIGHT.PATH_UNLINK_FILE)).toBe(0n);
    expect(h.fdstat(3).inheriting & big(RIGHT.FD_WRITE)).toBe(0n);
    expect(h.fdstat(4).inheriting & big(RIGHT.FD_WRITE)).not.toBe(0n);
    const [, fd] = h.open("a.txt", { dirfd: 3 });
    expect(h.fdstat(fd).base & big(RIGHT.FD_WRITE)).toBe(0n); // a read-only file
    expect(h.fdstat(fd).base & big(RIGHT.PATH_OPEN)).toBe(0n); // files never hold PATH_*
  });

  it("is BADF for a closed descriptor", () => expect(harness().fdstat(9).errno).toBe(ERRNO.BADF));
});

describe("fd_fdstat_set_flags", () => {
  it("keeps and reports SYNC, DSYNC and RSYNC; refuses unknown bits", () => {
    const h = harness();
    const [, fd] = h.open("f", { oflags: 1 });
    expect(h.errno("fd_fdstat_set_flags", fd, FDFLAGS.SYNC | FDFLAGS.DSYNC | FDFLAGS.RSYNC)).toBe(0);
    expect(h.fdstat(fd).flags).toBe(FDFLAGS.SYNC | FDFLAGS.DSYNC | FDFLAGS.RSYNC);
    expect(h.errno("fd_fdstat_set_flags", fd, 1 << 7)).toBe(ERRNO.INVAL);
    expect(h.errno("fd_fdstat_set_flags", 9, 0)).toBe(ERRNO.BADF);
  });

  it("reports the flags path_open was given", () => {
    const h = harness();
    const [, fd] = h.open("f", { oflags: 1, fdflags: FDFLAGS.APPEND | FDFLAGS.SYNC });
    expect(h.fdstat(fd).flags).toBe(FDFLAGS.APPEND | FDFLAGS.SYNC);
  });
});

describe("fd_fdstat_set_rights", () => {
  it("drops rights and enforces the drop afterwards", () => {
    const h = harness();
    const [, fd] = h.open("f", { oflags: 1 });
    const { base } = h.fdstat(fd);
    expect(h.errno("fd_fdstat_set_rights", fd, base & ~big(RIGHT.FD_WRITE), 0n)).toBe(0);
    expect(h.write(fd, "x")).toBe(ERRNO.NOTCAPABLE);
  });

  it("refuses to add a right (NOTCAPABLE), and a closed fd is BADF", () => {
    const h = harness();
    expect(h.errno("fd_fdstat_set_rights", 0, big(RIGHT.FD_WRITE), 0n)).toBe(ERRNO.NOTCAPABLE);
    expect(h.errno("fd_fdstat_set_rights", 0, ALL_RIGHTS << 2n, 0n)).toBe(ERRNO.NOTCAPABLE);
    expect(h.errno("fd_fdstat_set_rights", 9, 0n, 0n)).toBe(ERRNO.BADF);
  });
});

describe("fd_close and fd_renumber", () => {
  it("closes once (then BADF), and new descriptors take the lowest free number", () => {
    const h = harness();
    const [, a] = h.open("a", { oflags: 1 });
    const [, b] = h.open("b", { oflags: 1 });
    expect([a, b]).toEqual([5, 6]);
    expect(h.errno("fd_close", a)).toBe(0);
    expect(h.errno("fd_close", a)).toBe(ERRNO.BADF);
    expect(h.open("c", { oflags: 1 })[1]).toBe(5);
  });

  it("renumbers a descriptor onto itself without closing it", () => {
    const h = harness();
    expect(h.errno("fd_renumber", 1, 1)).toBe(0);
    expect(h.write(1, "still open")).toBe(0);
  });

  it("moves from onto to, closing what to was; BADF if either is closed", () => {
    const h = harness();
    const [, a] = h.open("a", { oflags: 1 });
    expect(h.errno("fd_renumber", a, 1)).toBe(0);
    expect(h.fdstat(1).filetype).toBe(FILETYPE.REGULAR_FILE);
    expect(h.errno("fd_renumber", a, 1)).toBe(ERRNO.BADF);
    expect(h.errno("fd_renumber", 1, 9)).toBe(ERRNO.BADF);
  });
});

describe("fd_read, fd_pread", () => {
  it("reads stdin across iovecs and reports what it read", () => {
    const h = harness({ stdin: text("hello world") });
    const [iov, n] = h.iovecs([[DATA, 5], [DATA + 100, 0], [DATA + 5, 100]]);
    expect(h.errno("fd_read", 0, iov, n, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(11);
    expect(new TextDecoder().decode(h.u8().subarray(DATA, DATA + 11))).toBe("hello world");
  });

  it("is ISDIR on a directory, SPIPE for pread on stdin, NOTCAPABLE on stdout, FAULT out of bounds", () => {
    const h = harness();
    const [iov, n] = h.iovecs([[DATA, 4]]);
    expect(h.errno("fd_read", 3, iov, n, OUT)).toBe(ERRNO.ISDIR);
    expect(h.errno("fd_pread", 0, iov, n, 0n, OUT)).toBe(ERRNO.SPIPE);
    expect(h.errno("fd_read", 1, iov, n, OUT)).toBe(ERRNO.NOTCAPABLE);
    expect(h.errno("fd_read", 0, IOV, 1 << 20, OUT)).toBe(ERRNO.FAULT);
    expect(h.errno("fd_read", 9, iov, n, OUT)).toBe(ERRNO.BADF);
  });

  it("preads a file at an offset without moving it", () => {
    const h = harness({ inputs: { f: text("abcdef") } });
    const [, fd] = h.open("f", { dirfd: 3 });
    const [iov, n] = h.iovecs([[DATA, 3]]);
    expect(h.errno("fd_pread", fd, iov, n, 2n, OUT)).toBe(0);
    expect(new TextDecoder().decode(h.u8().subarray(DATA, DATA + 3))).toBe("cde");
    expect(h.errno("fd_tell", fd, OUT)).toBe(0);
    expect(h.u64(OUT)).toBe(0n);
    expect(h.errno("fd_pread", fd, iov, n, -1n, OUT)).toBe(ERRNO.INVAL);
  });
});

describe("fd_write, fd_pwrite and the caps", () => {
  it("keeps exactly the stdout cap, including an earlier iovec that fits, then ends the run", () => {
    const h = harness({ limits: { stdoutBytes: 5 } });
    h.u8().set(text("abcXYZ"), DATA);
    const [iov, n] = h.iovecs([[DATA, 3], [DATA + 3, 3]]);
    expect(() => h.call("fd_write", 1, iov, n, OUT)).toThrow(RunEnd);
    expect(new TextDecoder().decode(h.host.stdout.bytes())).toBe("abcXY");
  });

  it("does not apply a file write that would pass outputBytes, not even its first iovec", () => {
    const h = harness({ limits: { outputBytes: 4 } });
    const [, fd] = h.open("f", { oflags: 1 });
    h.u8().set(text("abcdef"), DATA);
    const [iov, n] = h.iovecs([[DATA, 3], [DATA + 3, 3]]);
    expect(() => h.call("fd_write", fd, iov, n, OUT)).toThrow(RunEnd);
    expect(h.host.fs.outputSnapshot().f).toEqual(new Uint8Array(0));
  });

  it("appends with APPEND, pwrites at an offset, and is ISDIR / SPIPE / NOTCAPABLE where it must be", () => {
    const h = harness();
    const [, fd] = h.open("f", { oflags: 1, fdflags: FDFLAGS.APPEND });
    expect(h.write(fd, "ab")).toBe(0);
    expect(h.write(fd, "cd")).toBe(0);
    h.u8().set(text("X"), DATA);
    const [iov, n] = h.iovecs([[DATA, 1]]);
    expect(h.errno("fd_pwrite", fd, iov, n, 1n, OUT)).toBe(0);
    expect(new TextDecoder().decode(h.host.fs.outputSnapshot().f)).toBe("aXcd");
    expect(h.write(4, "x")).toBe(ERRNO.ISDIR);
    expect(h.errno("fd_pwrite", 1, iov, n, 0n, OUT)).toBe(ERRNO.SPIPE);
    expect(h.write(0, "x")).toBe(ERRNO.NOTCAPABLE);
  });
});

describe("fd_seek and fd_tell", () => {
  it("seeks a file from SET, CUR and END; negative or bad whence is INVAL", () => {
    const h = harness({ inputs: { f: text("0123456789") } });
    const [, fd] = h.open("f", { dirfd: 3 });
    expect(h.errno("fd_seek", fd, 4n, WHENCE.SET, OUT)).toBe(0);
    expect(h.errno("fd_seek", fd, 2n, WHENCE.CUR, OUT)).toBe(0);
    expect(h.u64(OUT)).toBe(6n);
    expect(h.errno("fd_seek", fd, -1n, WHENCE.END, OUT)).toBe(0);
    expect(h.u64(OUT)).toBe(9n);
    expect(h.errno("fd_seek", fd, -100n, WHENCE.CUR, OUT)).toBe(ERRNO.INVAL);
    expect(h.errno("fd_seek", fd, 0n, 7, OUT)).toBe(ERRNO.INVAL);
  });

  it("tells a directory's position (0) as Linux does, but cannot move it", () => {
    const h = harness();
    expect(h.errno("fd_tell", 4, OUT)).toBe(0);
    expect(h.u64(OUT)).toBe(0n);
    expect(h.errno("fd_seek", 4, 0n, WHENCE.CUR, OUT)).toBe(0);
    expect(h.errno("fd_seek", 4, 5n, WHENCE.SET, OUT)).toBe(ERRNO.NOTCAPABLE);
  });

  it("is SPIPE on stdio and BADF on a closed fd", () => {
    const h = harness();
    expect(h.errno("fd_seek", 0, 0n, WHENCE.SET, OUT)).toBe(ERRNO.SPIPE);
    expect(h.errno("fd_tell", 1, OUT)).toBe(ERRNO.SPIPE);
    expect(h.errno("fd_tell", 9, OUT)).toBe(ERRNO.BADF);
  });
});

describe("fd_allocate, fd_filestat_set_size, fd_filestat_get", () => {
  it("grows and shrinks an /output file, zero-filled, and stats it", () => {
    const h = harness();
    const [, fd] = h.open("f", { oflags: 1 });
    expect(h.errno("fd_allocate", fd, 0n, 8n)).toBe(0);
    expect(h.errno("fd_filestat_set_size", fd, 3n)).toBe(0);
    expect(h.errno("fd_filestat_get", fd, OUT)).toBe(0);
    expect(h.u8()[OUT + 16]).toBe(FILETYPE.REGULAR_FILE);
    expect(h.u64(OUT + 32)).toBe(3n);
    expect(h.host.fs.outputSnapshot().f).toEqual(new Uint8Array(3));
  });

  it("is ROFS on an /input file (its tree is read-only), NOTCAPABLE on a dir, INVAL past 2^53", () => {
    const h = harness({ inputs: { f: text("x") } });
    const [, fd] = h.open("f", { dirfd: 3 });
    expect(h.errno("fd_filestat_set_size", fd, 0n)).toBe(ERRNO.ROFS);
    expect(h.errno("fd_allocate", fd, 0n, 1n)).toBe(ERRNO.ROFS);
    expect(h.errno("fd_filestat_set_size", 4, 0n)).toBe(ERRNO.NOTCAPABLE);
    const [, out] = h.open("g", { oflags: 1 });
    expect(h.errno("fd_filestat_set_size", out, -1n)).toBe(ERRNO.INVAL);
  });
});

describe("fd_filestat_set_times", () => {
  it("accepts valid flags and changes nothing; ATIM with ATIM_NOW or MTIM with MTIM_NOW is INVAL", () => {
    const h = harness();
    const [, fd] = h.open("f", { oflags: 1 });
    expect(h.errno("fd_filestat_set_times", fd, 1n, 2n, FSTFLAGS.ATIM | FSTFLAGS.MTIM_NOW)).toBe(0);
    expect(h.errno("fd_filestat_set_times", fd, 0n, 0n, FSTFLAGS.ATIM | FSTFLAGS.ATIM_NOW)).toBe(ERRNO.INVAL);
    expect(h.errno("fd_filestat_set_times", fd, 0n, 0n, FSTFLAGS.MTIM | FSTFLAGS.MTIM_NOW)).toBe(ERRNO.INVAL);
    expect(h.errno("fd_filestat_set_times", 3, 0n, 0n, 0)).toBe(ERRNO.ROFS);
  });
});

describe("fd_prestat_get, fd_prestat_dir_name", () => {
  it("names the two preopens; BADF for any other fd; NAMETOOLONG for a short buffer", () => {
    const h = harness();
    expect(h.errno("fd_prestat_get", 4, OUT)).toBe(0);
    expect(h.u32(OUT + 4)).toBe(7);
    expect(h.errno("fd_prestat_dir_name", 4, DATA, 7)).toBe(0);
    expect(new TextDecoder().decode(h.u8().subarray(DATA, DATA + 7))).toBe("/output");
    expect(h.errno("fd_prestat_dir_name", 4, DATA, 3)).toBe(ERRNO.NAMETOOLONG);
    expect(h.errno("fd_prestat_get", 1, OUT)).toBe(ERRNO.BADF);
  });
});

describe("fd_advise, fd_sync, fd_datasync", () => {
  it("succeed on a file that holds the right; bad advice is INVAL; stdio lacks the rights", () => {
    const h = harness();
    const [, fd] = h.open("f", { oflags: 1 });
    expect([h.errno("fd_advise", fd, 0n, 0n, 5), h.errno("fd_sync", fd), h.errno("fd_datasync", fd)]).toEqual([0, 0, 0]);
    expect(h.errno("fd_advise", fd, 0n, 0n, 6)).toBe(ERRNO.INVAL);
    expect(h.errno("fd_sync", 1)).toBe(ERRNO.NOTCAPABLE);
    expect(h.errno("fd_datasync", 9)).toBe(ERRNO.BADF);
  });
});

describe("fd_readdir", () => {
  it("lists ., .., then names in UTF-8 order, resuming at a cookie, cutting the last entry short", () => {
    const h = harness({ inputs: { "b": text(""), "a": text(""), "é": text("") } });
    expect(h.errno("fd_readdir", 3, DATA, 4096, 0n, OUT)).toBe(0);
    const names: string[] = [];
    for (let at = DATA, end = DATA + h.u32(OUT); at < end; ) {
      const len = h.u32(at + 16);
      names.push(new TextDecoder().decode(h.u8().subarray(at + 24, at + 24 + len)));
      at += 24 + len;
    }
    expect(names).toEqual([".", "..", "a", "b", "é"]);
    expect(h.errno("fd_readdir", 3, DATA, 4096, 4n, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(24 + 2);
    expect(h.errno("fd_readdir", 3, DATA, 30, 0n, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(30); // "." whole, ".." cut short
  });

  it("is NOTCAPABLE on a file and BADF on a closed fd", () => {
    const h = harness({ inputs: { f: text("") } });
    const [, fd] = h.open("f", { dirfd: 3 });
    expect(h.errno("fd_readdir", fd, DATA, 64, 0n, OUT)).toBe(ERRNO.NOTCAPABLE);
    expect(h.errno("fd_readdir", 9, DATA, 64, 0n, OUT)).toBe(ERRNO.BADF);
  });
});

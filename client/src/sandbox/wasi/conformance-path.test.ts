/**
 * WASI preview 1 conformance of the path calls and the rest (args, clocks, random, poll,
 * process, sockets), written from the witx, against WasiHost over a real memory.
 */
import { describe, expect, it } from "vitest";
import { FUEL_PER_HOST_CALL } from "../constants.ts";
import { ERRNO, FDFLAGS, FSTFLAGS, OFLAGS } from "./errno.ts";
import { RunEnd } from "./fs.ts";
import { DATA, harness, OUT } from "./harness.ts";
import { RIGHT } from "./rights.ts";

const text = (s: string) => new TextEncoder().encode(s);
const CREAT = OFLAGS.CREAT;
/** What libc asks for to open a directory: everything but the write rights (FD_WRITE on a directory is ISDIR). */
const DIR = { base: ((1n << 30n) - 1n) & ~BigInt(RIGHT.FD_WRITE), oflags: OFLAGS.DIRECTORY };
const limitOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof RunEnd) return err.status;
    throw err;
  }
  return undefined;
};

describe("path_open", () => {
  it("reopens a preopen with the rights the sandbox reported, and with none", () => {
    const h = harness();
    for (const fd of [3, 4]) {
      const { base, inheriting } = h.fdstat(fd);
      expect(h.open(".", { dirfd: fd, base, inheriting })[0]).toBe(0);
      expect(h.open(".", { dirfd: fd, base: 0n, inheriting: 0n, oflags: OFLAGS.DIRECTORY })[0]).toBe(0);
    }
  });

  it("gives requested ∩ the directory's inheriting rights, dropping what a directory cannot use", () => {
    const h = harness();
    const [, dir] = h.open(".", { base: BigInt(RIGHT.FD_READ | RIGHT.FD_READDIR | RIGHT.PATH_OPEN) });
    expect(h.fdstat(dir).base).toBe(BigInt(RIGHT.FD_READDIR | RIGHT.PATH_OPEN));
    const [, file] = h.open("f", { dirfd: dir, oflags: CREAT, base: BigInt(RIGHT.FD_READ) });
    expect(file).toBe(-1); // dir was opened without PATH_CREATE_FILE
  });

  it("is ISDIR to write or truncate a directory, NOTDIR for a file with DIRECTORY or a trailing slash", () => {
    const h = harness();
    expect(h.errno("path_create_directory", 4, ...h.str("d"))).toBe(0);
    expect(h.open("d", { base: BigInt(RIGHT.FD_WRITE) })[0]).toBe(ERRNO.ISDIR);
    expect(h.open("d", { oflags: OFLAGS.TRUNC })[0]).toBe(ERRNO.ISDIR);
    expect(h.open("f", { oflags: CREAT })[0]).toBe(0);
    expect(h.open("f", { oflags: OFLAGS.DIRECTORY })[0]).toBe(ERRNO.NOTDIR);
    expect(h.open("f/")[0]).toBe(ERRNO.NOTDIR);
    expect(h.open("new/", { oflags: CREAT })[0]).toBe(ERRNO.ISDIR);
  });

  it("is NOENT, EXIST, INVAL and NAMETOOLONG where open(2) is", () => {
    const h = harness();
    expect(h.open("missing")[0]).toBe(ERRNO.NOENT);
    expect(h.open("", { oflags: CREAT })[0]).toBe(ERRNO.NOENT);
    expect(h.open("f", { oflags: CREAT })[0]).toBe(0);
    expect(h.open("f", { oflags: CREAT | OFLAGS.EXCL })[0]).toBe(ERRNO.EXIST);
    expect(h.open("g", { oflags: 1 << 5 })[0]).toBe(ERRNO.INVAL);
    expect(h.open("g", { fdflags: 1 << 9 })[0]).toBe(ERRNO.INVAL);
    expect(h.open("x".repeat(4097))[0]).toBe(ERRNO.NAMETOOLONG);
  });

  it("never leaves the directory fd's subtree: .. above it and absolute paths are NOTCAPABLE", () => {
    const h = harness();
    h.errno("path_create_directory", 4, ...h.str("sub"));
    h.open("top.txt", { oflags: CREAT });
    const [, sub] = h.open("sub", DIR);
    expect(h.open("../top.txt", { dirfd: sub })[0]).toBe(ERRNO.NOTCAPABLE);
    expect(h.open("a/../../top.txt", { dirfd: sub, oflags: CREAT })[0]).toBe(ERRNO.NOENT);
    expect(h.open("/etc/passwd")[0]).toBe(ERRNO.NOTCAPABLE);
    expect(h.open(".", { ...DIR, dirfd: sub })[0]).toBe(0);
  });

  it("creates under /input never (ROFS), opens past 1024 descriptors never (MFILE), and is BADF / NOTDIR on a bad dirfd", () => {
    const h = harness({ inputs: { "a.txt": text("a") } });
    expect(h.open("new", { dirfd: 3, oflags: CREAT })[0]).toBe(ERRNO.ROFS);
    expect(h.open("x", { dirfd: 9 })[0]).toBe(ERRNO.BADF);
    expect(h.open("x", { dirfd: 1 })[0]).toBe(ERRNO.NOTDIR);
    for (let i = 5; i < 1024; i++) expect(h.open(".", DIR)[0]).toBe(0);
    expect(h.open(".", DIR)[0]).toBe(ERRNO.MFILE);
  });

  it("opens an /input file for writing without FD_WRITE, so its writes fail", () => {
    const h = harness({ inputs: { "a.txt": text("a") } });
    const [e, fd] = h.open("a.txt", { dirfd: 3, oflags: 0 });
    expect(e).toBe(0);
    expect(h.write(fd, "x")).toBe(ERRNO.ROFS);
  });

  it("needs FD_DATASYNC / FD_SYNC in the directory's inheriting rights for DSYNC / SYNC", () => {
    const h = harness();
    const { base, inheriting } = h.fdstat(4);
    h.errno("fd_fdstat_set_rights", 4, base, inheriting & ~BigInt(RIGHT.FD_SYNC));
    expect(h.open("f", { oflags: CREAT, fdflags: FDFLAGS.SYNC })[0]).toBe(ERRNO.NOTCAPABLE);
    expect(h.open("f", { oflags: CREAT, fdflags: FDFLAGS.DSYNC })[0]).toBe(0);
  });
});

describe("path_create_directory and path_remove_directory", () => {
  it("count directories against outputFiles and give them back when removed", () => {
    const h = harness({ limits: { outputFiles: 2 } });
    expect(h.errno("path_create_directory", 4, ...h.str("a/"))).toBe(0); // a trailing slash is fine
    expect(h.errno("path_create_directory", 4, ...h.str("a/b"))).toBe(0);
    expect(limitOf(() => h.call("path_create_directory", 4, ...h.str("c")))).toEqual({ kind: "limit", limit: "output_files" });
    expect(h.errno("path_remove_directory", 4, ...h.str("a/b/"))).toBe(0);
    expect(h.errno("path_create_directory", 4, ...h.str("c"))).toBe(0);
  });

  it("are EXIST, NOENT, NOTEMPTY, NOTDIR, INVAL and ROFS where mkdir(2)/rmdir(2) are", () => {
    const h = harness({ inputs: { "i.txt": text("") } });
    h.errno("path_create_directory", 4, ...h.str("a"));
    h.errno("path_create_directory", 4, ...h.str("a/b"));
    h.open("f", { oflags: CREAT });
    expect(h.errno("path_create_directory", 4, ...h.str("a"))).toBe(ERRNO.EXIST);
    expect(h.errno("path_create_directory", 4, ...h.str("."))).toBe(ERRNO.EXIST);
    expect(h.errno("path_create_directory", 4, ...h.str("x/y"))).toBe(ERRNO.NOENT);
    expect(h.errno("path_create_directory", 3, ...h.str("d"))).toBe(ERRNO.ROFS);
    expect(h.errno("path_remove_directory", 4, ...h.str("a"))).toBe(ERRNO.NOTEMPTY);
    expect(h.errno("path_remove_directory", 4, ...h.str("f"))).toBe(ERRNO.NOTDIR);
    expect(h.errno("path_remove_directory", 4, ...h.str("."))).toBe(ERRNO.INVAL);
    expect(h.errno("path_remove_directory", 4, ...h.str("zz"))).toBe(ERRNO.NOENT);
  });

  it("keeps every /output path within 4096 bytes, so nesting cannot blow up the result's names", () => {
    const h = harness();
    const name = "n".repeat(1000);
    let path = name;
    for (let i = 0; i < 4; i++, path += `/${name}`) expect(h.errno("path_create_directory", 4, ...h.str(path))).toBe(0);
    expect(h.errno("path_create_directory", 4, ...h.str(path))).toBe(ERRNO.NAMETOOLONG);
  });
});

describe("path_unlink_file", () => {
  it("removes a file (giving back its count and bytes); ISDIR for a directory, NOTDIR for file/, NOENT", () => {
    const h = harness({ limits: { outputFiles: 1 } });
    const [, fd] = h.open("f", { oflags: CREAT });
    h.write(fd, "abc");
    expect(h.errno("path_unlink_file", 4, ...h.str("f/"))).toBe(ERRNO.NOTDIR);
    expect(h.errno("path_unlink_file", 4, ...h.str("f"))).toBe(0);
    expect([h.host.fs.outputNodes, h.host.fs.outputBytes]).toEqual([0, 0]);
    expect(h.errno("path_unlink_file", 4, ...h.str("f"))).toBe(ERRNO.NOENT);
    h.errno("path_create_directory", 4, ...h.str("d"));
    expect(h.errno("path_unlink_file", 4, ...h.str("d"))).toBe(ERRNO.ISDIR);
  });
});

describe("path_rename", () => {
  const rename = (h: ReturnType<typeof harness>, a: string, b: string) => {
    const [pa, la] = h.str(a, DATA);
    const [pb, lb] = h.str(b, DATA + 5000);
    return h.errno("path_rename", 4, pa, la, 4, pb, lb);
  };

  it("renames a directory given with trailing slashes", () => {
    const h = harness();
    h.errno("path_create_directory", 4, ...h.str("source"));
    expect(rename(h, "source/", "target/")).toBe(0);
    expect(h.open("target", DIR)[0]).toBe(0);
  });

  it("is NOTDIR for a file given a trailing slash, ISDIR / NOTDIR / NOTEMPTY over the wrong target, INVAL into itself", () => {
    const h = harness();
    h.open("f", { oflags: CREAT });
    h.errno("path_create_directory", 4, ...h.str("d"));
    h.errno("path_create_directory", 4, ...h.str("full"));
    h.open("full/x", { oflags: CREAT });
    expect(rename(h, "f", "g/")).toBe(ERRNO.NOTDIR);
    expect(rename(h, "f/", "g")).toBe(ERRNO.NOTDIR);
    expect(rename(h, "f", "d")).toBe(ERRNO.ISDIR);
    expect(rename(h, "d", "f")).toBe(ERRNO.NOTDIR);
    expect(rename(h, "d", "full")).toBe(ERRNO.NOTEMPTY);
    expect(rename(h, "full", "full/sub")).toBe(ERRNO.INVAL);
    expect(rename(h, "missing", "x")).toBe(ERRNO.NOENT);
    expect(rename(h, "f", "d/f")).toBe(0);
  });

  it("is ROFS from /input", () => {
    const h = harness({ inputs: { a: text("") } });
    const [p, l] = h.str("a");
    expect(h.errno("path_rename", 3, p, l, 4, p, l)).toBe(ERRNO.ROFS);
  });
});

describe("path_filestat_get, path_filestat_set_times, path_readlink, path_link, path_symlink", () => {
  it("stat a path; set_times validates its flags; nothing is a link; links are NOTSUP", () => {
    const h = harness({ inputs: { "a.txt": text("abc") } });
    expect(h.errno("path_filestat_get", 3, 0, ...h.str("a.txt"), OUT)).toBe(0);
    expect(h.u64(OUT + 32)).toBe(3n);
    expect(h.errno("path_filestat_get", 3, 0, ...h.str("a.txt/x"), OUT)).toBe(ERRNO.NOTDIR);
    expect(h.errno("path_filestat_get", 3, 0, ...h.str("nope"), OUT)).toBe(ERRNO.NOENT);
    h.open("f", { oflags: CREAT });
    expect(h.errno("path_filestat_set_times", 4, 0, ...h.str("f"), 0n, 0n, FSTFLAGS.ATIM)).toBe(0);
    expect(h.errno("path_filestat_set_times", 4, 0, ...h.str("f"), 0n, 0n, FSTFLAGS.MTIM | FSTFLAGS.MTIM_NOW)).toBe(ERRNO.INVAL);
    expect(h.errno("path_filestat_set_times", 3, 0, ...h.str("a.txt"), 0n, 0n, 0)).toBe(ERRNO.ROFS);
    expect(h.errno("path_readlink", 4, ...h.str("f"), DATA, 64, OUT)).toBe(ERRNO.INVAL);
    expect(h.errno("path_readlink", 4, ...h.str("g"), DATA, 64, OUT)).toBe(ERRNO.NOENT);
    expect(h.errno("path_link", 4, 0, ...h.str("f"), 4, ...h.str("g", DATA))).toBe(ERRNO.NOTSUP);
    expect(h.errno("path_link", 9, 0, ...h.str("f"), 4, ...h.str("g", DATA))).toBe(ERRNO.BADF);
    expect(h.errno("path_symlink", ...h.str("f"), 4, ...h.str("g", DATA))).toBe(ERRNO.NOTSUP);
    expect(h.errno("path_symlink", ...h.str("f"), 3, ...h.str("g", DATA))).toBe(ERRNO.ROFS);
  });
});

describe("args, environ, clocks, random", () => {
  it("lay out args and env, sorted env, with sizes first", () => {
    const h = harness({ args: ["p", "ü"], env: { B: "2", A: "1" } });
    expect(h.errno("args_sizes_get", OUT, OUT + 4)).toBe(0);
    expect([h.u32(OUT), h.u32(OUT + 4)]).toEqual([2, 5]);
    expect(h.errno("args_get", OUT, DATA)).toBe(0);
    expect([h.u32(OUT), h.u32(OUT + 4)]).toEqual([DATA, DATA + 2]);
    expect(h.errno("environ_get", OUT, DATA)).toBe(0);
    expect(new TextDecoder().decode(h.u8().subarray(DATA, DATA + 8))).toBe("A=1\0B=2\0");
    expect(h.errno("args_get", 1 << 30, DATA)).toBe(ERRNO.FAULT);
  });

  it("give the fixed clock, INVAL for an unknown clock, and the ChaCha20 keystream", () => {
    const h = harness();
    expect(h.errno("clock_time_get", 1, 0n, OUT)).toBe(0);
    expect(h.u64(OUT)).toBe(1_704_067_200_000_000_000n);
    expect(h.errno("clock_res_get", 0, OUT)).toBe(0);
    expect(h.errno("clock_time_get", 4, 0n, OUT)).toBe(ERRNO.INVAL);
    expect(h.errno("random_get", DATA, 16)).toBe(0);
    expect(Buffer.from(h.u8().subarray(DATA, DATA + 16)).toString("hex")).toBe("76b8e0ada0f13d90405d6ae55386bd28");
  });
});

describe("poll_oneoff", () => {
  it("completes every subscription at once, with BADF / NOTCAPABLE / INVAL events where due", () => {
    const h = harness({ stdin: text("abc") });
    const v = h.view();
    const sub = (i: number, tag: number, fd: number) => {
      v.setBigUint64(DATA + 48 * i, BigInt(100 + i), true);
      v.setUint8(DATA + 48 * i + 8, tag);
      v.setUint32(DATA + 48 * i + 16, fd, true);
    };
    sub(0, 1, 0); // read stdin
    sub(1, 1, 9); // closed
    sub(2, 2, 0); // write stdin
    sub(3, 7, 0); // no such type
    sub(4, 0, 0); // clock
    expect(h.errno("poll_oneoff", DATA, OUT + 100, 5, OUT)).toBe(0);
    expect(h.u32(OUT)).toBe(5);
    const ev = (i: number) => ({ userdata: h.u64(OUT + 100 + 32 * i), error: v.getUint16(OUT + 100 + 32 * i + 8, true) });
    expect([0, 1, 2, 3, 4].map(ev)).toEqual([
      { userdata: 100n, error: 0 }, { userdata: 101n, error: ERRNO.BADF }, { userdata: 102n, error: ERRNO.NOTCAPABLE },
      { userdata: 103n, error: ERRNO.INVAL }, { userdata: 104n, error: 0 },
    ]);
    expect(h.u64(OUT + 100 + 16)).toBe(3n); // bytes stdin has left
    expect(h.errno("poll_oneoff", DATA, OUT, 0, OUT)).toBe(ERRNO.INVAL);
  });
});

describe("proc_exit, proc_raise, sched_yield, sock_*", () => {
  it("proc_exit pays the base like every call, then ends the run", () => {
    const h = harness();
    expect(limitOf(() => h.call("proc_exit", 3))).toEqual({ kind: "exit", code: 3 });
    expect(h.fuel).toBe(FUEL_PER_HOST_CALL);
  });

  it("proc_raise is NOSYS, sched_yield succeeds, sockets are BADF then NOTSOCK", () => {
    const h = harness();
    expect([h.errno("proc_raise", 6), h.errno("sched_yield")]).toEqual([ERRNO.NOSYS, 0]);
    expect(h.errno("sock_shutdown", 9, 0)).toBe(ERRNO.BADF);
    expect(h.errno("sock_shutdown", 1, 0)).toBe(ERRNO.NOTSOCK);
    expect(h.errno("sock_accept", 9, 0, OUT)).toBe(ERRNO.BADF);
    expect(h.errno("sock_recv", 0, DATA, 1, 0, OUT, OUT + 4)).toBe(ERRNO.NOTSOCK);
    expect(h.errno("sock_send", 1, DATA, 1, 0, OUT)).toBe(ERRNO.NOTSOCK);
  });
});

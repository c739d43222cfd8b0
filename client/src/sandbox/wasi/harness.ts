/**
 * Drives WasiHost directly, as a module would, over a real WebAssembly.Memory: for the
 * conformance and fuel tests (no module needed). Not part of the public API.
 */
import { TEST_LIMITS } from "../testing.ts";
import type { SandboxJob, SandboxLimits } from "../types.ts";
import { WasiHost } from "./host.ts";

export const PATH = 1024;
export const OUT = 2048;
export const IOV = 4096;
export const DATA = 8192;
export const ALL_RIGHTS = (1n << 30n) - 1n;

type Over = Partial<Omit<SandboxJob, "limits">> & { limits?: Partial<SandboxLimits> };
const enc = new TextEncoder();

export function harness(over: Over = {}) {
  let fuel = 0;
  const host = new WasiHost({
    job: { module: new Uint8Array(0), args: ["prog"], env: {}, seed: new Uint8Array(32), ...over, limits: { ...TEST_LIMITS, ...over.limits } },
    charge: (units) => {
      fuel += units;
    },
  });
  const memory = new WebAssembly.Memory({ initial: 4 });
  host.memory.bind(memory);
  const imports = host.imports() as Record<string, (...a: (number | bigint)[]) => number>;
  const view = () => new DataView(memory.buffer);
  const u8 = () => new Uint8Array(memory.buffer);
  const h = {
    host, memory, view, u8,
    get fuel() { return fuel; },
    /** Calls a WASI function as the module would; returns its errno and the fuel it charged. */
    call(name: string, ...args: (number | bigint)[]) {
      const before = fuel;
      const errno = imports[name]!(...args);
      return { errno, fuel: fuel - before };
    },
    errno(name: string, ...args: (number | bigint)[]) {
      return h.call(name, ...args).errno;
    },
    /** Writes `s` at PATH (or `at`) and returns [ptr, len]. */
    str(s: string, at = PATH): [number, number] {
      const b = enc.encode(s);
      u8().set(b, at);
      return [at, b.length];
    },
    u32: (at: number) => view().getUint32(at, true),
    u64: (at: number) => view().getBigUint64(at, true),
    /** Lays out iovecs at IOV over `bufs` (each [ptr, len]). */
    iovecs(bufs: [number, number][], at = IOV): [number, number] {
      bufs.forEach(([p, l], i) => {
        view().setUint32(at + 8 * i, p, true);
        view().setUint32(at + 8 * i + 4, l, true);
      });
      return [at, bufs.length];
    },
    /** path_open from `dirfd`; returns [errno, fd]. */
    open(path: string, { dirfd = 4, oflags = 0, base = ALL_RIGHTS, inheriting = ALL_RIGHTS, fdflags = 0 } = {}): [number, number] {
      const [p, l] = h.str(path);
      const e = h.errno("path_open", dirfd, 0, p, l, oflags, base, inheriting, fdflags, OUT);
      return [e, e === 0 ? h.u32(OUT) : -1];
    },
    /** fd_write of `s` through one iovec; returns the errno. */
    write(fd: number, s: string): number {
      const b = enc.encode(s);
      u8().set(b, DATA);
      const [iov, n] = h.iovecs([[DATA, b.length]]);
      return h.errno("fd_write", fd, iov, n, OUT);
    },
    fdstat(fd: number) {
      const e = h.errno("fd_fdstat_get", fd, OUT);
      return { errno: e, filetype: u8()[OUT]!, flags: view().getUint16(OUT + 2, true), base: h.u64(OUT + 8), inheriting: h.u64(OUT + 16) };
    },
  };
  return h;
}

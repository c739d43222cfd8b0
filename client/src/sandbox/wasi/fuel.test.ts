/**
 * The WASI fuel rule (docs/PROTOCOL.md "Metering (fuel)"): each call costs exactly its base
 * plus its per-unit charges, and a module flooding a call runs out of fuel (or hits a cap)
 * deterministically, with the host never allocating per unit the fuel has not paid for.
 */
import { describe, expect, it } from "vitest";
import { encodeResultBundle } from "../bundle.ts";
import {
  FUEL_PER_DIRENT, FUEL_PER_HOST_CALL as BASE, FUEL_PER_IOVEC, FUEL_PER_LIST_ITEM, FUEL_PER_NODE, FUEL_PER_PATH_BYTE,
  FUEL_PER_PATH_COMPONENT, FUEL_PER_SORTED_ENTRY, FUEL_PER_SUBSCRIPTION,
} from "../constants.ts";
import { executeModule } from "../execute.ts";
import { TEST_LIMITS } from "../testing.ts";
import type { SandboxJob, SandboxLimits } from "../types.ts";
import { prepareModule } from "../validate.ts";
import { guestModule, type GuestOptions } from "./guest.ts";
import { DATA, harness, IOV, OUT } from "./harness.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe("each call costs base + units × price", () => {
  it("fd_write and fd_read: per iovec, empty or not, plus 1 per 64 bytes", () => {
    const h = harness({ stdin: new Uint8Array(1000) });
    for (const n of [0, 1, 1000]) expect(h.call("fd_write", 1, IOV, n, OUT).fuel).toBe(BASE + n * FUEL_PER_IOVEC);
    const [iov, n] = h.iovecs(Array.from({ length: 10 }, (_, i): [number, number] => [DATA + 64 * i, 64]));
    expect(h.call("fd_write", 1, iov, n, OUT).fuel).toBe(BASE + 10 * FUEL_PER_IOVEC + 10);
    expect(h.call("fd_read", 0, iov, n, OUT).fuel).toBe(BASE + 10 * FUEL_PER_IOVEC + 10);
  });

  it("a write past a file's end also pays the hole it zero-fills; a resize pays the bytes it changes", () => {
    const h = harness();
    const [, fd] = h.open("f", { oflags: 1 });
    const [iov, n] = h.iovecs([[DATA, 1]]);
    expect(h.call("fd_pwrite", fd, iov, n, 6400n, OUT).fuel).toBe(BASE + FUEL_PER_IOVEC + 100);
    expect(h.call("fd_filestat_set_size", fd, 64n).fuel).toBe(BASE + 99);
    expect(h.call("fd_allocate", fd, 0n, 640n).fuel).toBe(BASE + 9);
  });

  it("poll_oneoff: per subscription", () => {
    const h = harness();
    for (const n of [1, 100]) expect(h.call("poll_oneoff", DATA, DATA + 48 * n, n, OUT).fuel).toBe(BASE + n * FUEL_PER_SUBSCRIPTION);
  });

  it("fd_readdir: per entry written, plus per entry sorted the first time after a change, plus the buffer", () => {
    const h = harness({ inputs: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, text("")])) });
    const len = 64 * 10;
    const listed = (cookie: bigint) => {
      h.errno("fd_readdir", 3, DATA, len, cookie, OUT);
      let k = 0;
      for (let at = DATA, end = DATA + h.u32(OUT); at < end; k++) at += 24 + h.u32(at + 16);
      return k;
    };
    const first = h.call("fd_readdir", 3, DATA, len, 0n, OUT).fuel;
    const k = listed(0n);
    expect(first).toBe(BASE + 10 + 50 * FUEL_PER_SORTED_ENTRY + k * FUEL_PER_DIRENT);
    expect(h.call("fd_readdir", 3, DATA, len, 0n, OUT).fuel).toBe(BASE + 10 + k * FUEL_PER_DIRENT);
    // Deep into the listing costs only what it lists.
    expect(h.call("fd_readdir", 3, DATA, len, 51n, OUT).fuel).toBe(BASE + 10 + 1 * FUEL_PER_DIRENT);
    expect(h.call("fd_readdir", 3, DATA, len, 52n, OUT).fuel).toBe(BASE + 10);
  });

  it("paths: per byte and per component; creating pays per node and per level above it", () => {
    const h = harness({ inputs: { "a/b/c.txt": text("") } });
    expect(h.call("path_filestat_get", 3, 0, ...h.str("a/b/c.txt"), OUT).fuel).toBe(BASE + 9 * FUEL_PER_PATH_BYTE + 3 * FUEL_PER_PATH_COMPONENT);
    expect(h.call("path_filestat_get", 3, 0, ...h.str("./a/../a/b/"), OUT).fuel).toBe(BASE + 11 * FUEL_PER_PATH_BYTE + 5 * FUEL_PER_PATH_COMPONENT);
    expect(h.call("path_create_directory", 4, ...h.str("d")).fuel).toBe(BASE + 1 * FUEL_PER_PATH_BYTE + FUEL_PER_PATH_COMPONENT + FUEL_PER_NODE);
    expect(h.call("path_create_directory", 4, ...h.str("d/e")).fuel).toBe(BASE + 3 * FUEL_PER_PATH_BYTE + 2 * FUEL_PER_PATH_COMPONENT + FUEL_PER_NODE + FUEL_PER_PATH_COMPONENT);
    expect(h.call("path_open", 4, 0, ...h.str("d/e/f"), 1, 0n, 0n, 0, OUT).fuel).toBe(BASE + 5 * FUEL_PER_PATH_BYTE + 3 * FUEL_PER_PATH_COMPONENT + FUEL_PER_NODE + 2 * FUEL_PER_PATH_COMPONENT);
    // A path past 4096 bytes is refused unread, for the base alone.
    expect(h.call("path_filestat_get", 3, 0, DATA, 5000, OUT)).toEqual({ errno: 37, fuel: BASE });
  });

  it("args_get/environ_get: per item and per 64 bytes; random_get: per byte; the rest: the base", () => {
    const h = harness({ args: ["p", "abc"], env: { K: "v" } });
    expect(h.call("args_get", OUT, DATA).fuel).toBe(BASE + Math.floor((6 + 8) / 64) + 2 * FUEL_PER_LIST_ITEM);
    expect(h.call("environ_get", OUT, DATA).fuel).toBe(BASE + FUEL_PER_LIST_ITEM);
    expect(h.call("random_get", DATA, 1000).fuel).toBe(BASE + 1000);
    for (const [name, args] of [["sched_yield", []], ["fd_fdstat_get", [3, OUT]], ["clock_time_get", [0, 0n, OUT]], ["fd_close", [9]]] as const) {
      expect(h.call(name, ...args).fuel, name).toBe(BASE);
    }
  });
});

const FLOOD_LIMITS: SandboxLimits = { ...TEST_LIMITS, memoryPages: 512, fuel: 2_000_000 };

async function run(opts: GuestOptions, over: Partial<SandboxJob> = {}, limits: Partial<SandboxLimits> = {}) {
  const job: SandboxJob = { module: guestModule(opts), args: ["flood"], env: {}, seed: new Uint8Array(32), ...over, limits: { ...FLOOD_LIMITS, ...limits } };
  const { instrumented } = prepareModule(job.module, job.limits);
  const module = new WebAssembly.Module(instrumented.bytes as Uint8Array<ArrayBuffer>);
  return executeModule({ module, hasStart: instrumented.hasStart, job });
}

/** Runs a flood twice: same bundle bytes both times, and the status `want`. */
async function flood(opts: GuestOptions, want: object, over: Partial<SandboxJob> = {}, limits: Partial<SandboxLimits> = {}) {
  const a = await run(opts, over, limits);
  const b = await run(opts, over, limits);
  expect(a.status).toEqual(want);
  expect(Buffer.from(encodeResultBundle(a)).equals(Buffer.from(encodeResultBundle(b)))).toBe(true);
  return a;
}

const OUT_OF_FUEL = { kind: "trap", trap: "out_of_fuel" };

describe("a module flooding one call ends deterministically", () => {
  it("3 million empty iovecs per fd_write: out of fuel at the limit, nothing allocated per iovec", async () => {
    const r = await flood({ call: "fd_write", args: [1, 0, 3_000_000, 30_000_000], memoryPages: 512 }, OUT_OF_FUEL, {}, { fuel: 100_000 });
    expect(r.fuelUsed).toBe(100_000);
    const paid = await flood({ call: "fd_write", args: [1, 0, 3_000_000, 30_000_000], memoryPages: 512 }, OUT_OF_FUEL, {}, { fuel: 100_000_000 });
    expect(paid.fuelUsed).toBe(100_000_000);
  });

  it("poll_oneoff with 300,000 subscriptions", async () => {
    await flood({ call: "poll_oneoff", args: [0, 0, 300_000, 16_000_000], memoryPages: 256 }, OUT_OF_FUEL);
  });

  it("fd_readdir deep into a large directory", async () => {
    const inputs = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`f${i}`, new Uint8Array(0)]));
    await flood({ call: "fd_readdir", args: [3, 0, 64, 4_990n, 65_000], memoryPages: 1 }, OUT_OF_FUEL, { inputs });
  });

  it("path walks of 2,048 components", async () => {
    const p = text(`${"./".repeat(2047)}.`);
    await flood({ call: "path_filestat_get", args: [3, 0, 0, p.length, 8192], data: [[0, p]] }, OUT_OF_FUEL);
  });

  it("mkdir in a loop: directories hit the outputFiles cap", async () => {
    const r = await flood({ call: "path_create_directory", args: [4, 0, 4], nameAt: 0 }, { kind: "limit", limit: "output_files" }, {}, { fuel: 1_000_000_000, outputFiles: 1_000 });
    expect(r.fuelUsed).toBeLessThan(1_000 * (BASE + 4 * FUEL_PER_PATH_BYTE + FUEL_PER_PATH_COMPONENT + FUEL_PER_NODE + 100));
  });

  it("path_open in a loop: MFILE at 1,024 descriptors", async () => {
    const p = text(".");
    await flood({ call: "path_open", args: [3, 0, 0, 1, 0, 0n, 0n, 0, 64], data: [[0, p]] }, { kind: "exit", code: 33 });
  });
});

/**
 * What each unit of the WASI fuel rule costs the host, in ns, next to plain wasm's ns per unit
 * of fuel measured in the same run (in this thread, not through the pool): the base of a call,
 * an iovec written or read, a poll subscription, a dirent listed, a directory entry sorted, a
 * path byte and component, a node created and removed. Each unit is the slope between a call
 * with few units and one with many, over the same number of calls. Used to set the prices in
 * client/src/sandbox/constants.ts so no call's host time per fuel passes ~8x plain wasm.
 *   node scripts/bench/sandbox/wasi-units.ts [repeats=3]
 */
import { readFileSync } from "node:fs";
import * as C from "../../../client/src/sandbox/constants.ts";
import { executeModule } from "../../../client/src/sandbox/execute.ts";
import type { SandboxJob } from "../../../client/src/sandbox/types.ts";
import { prepareModule } from "../../../client/src/sandbox/validate.ts";
import { guestModule, type GuestOptions } from "../../../client/src/sandbox/wasi/guest.ts";
import { noise } from "../../../client/fixtures/wasm/workloads.ts";

const REPEATS = Number(process.argv[2] ?? 3);
const FIXTURES = new URL("../../../client/fixtures/wasm/", import.meta.url);
const enc = new TextEncoder();
const LIMITS = { ...C.DEFAULT_LIMITS, fuel: Number.MAX_SAFE_INTEGER, memoryPages: 4096, outputFiles: 65_536, stdoutBytes: 1 << 28 };

async function runModule(bytes: Uint8Array, over: Partial<SandboxJob> = {}) {
  const job: SandboxJob = { module: bytes, args: ["x"], env: {}, seed: new Uint8Array(32), ...over, limits: { ...LIMITS, ...over.limits } };
  const { instrumented } = prepareModule(job.module, job.limits);
  const module = new WebAssembly.Module(instrumented.bytes as Uint8Array<ArrayBuffer>);
  const t = performance.now();
  const r = await executeModule({ module, hasStart: instrumented.hasStart, job });
  return { ms: performance.now() - t, r };
}

/** ns per call of `opts` run `times` times (the best of 3), and the fuel per call. */
async function perCall(opts: GuestOptions, times: number, over: Partial<SandboxJob> = {}) {
  const bytes = guestModule({ ...opts, times });
  let best = Infinity;
  let fuel = 0;
  for (let i = 0; i < 3; i++) {
    const { ms, r } = await runModule(bytes, over);
    if (r.status.kind !== "exit" || r.status.code !== 0) throw new Error(`${opts.call}: ${JSON.stringify(r.status)}`);
    best = Math.min(best, ms);
    fuel = r.fuelUsed / times;
  }
  return { ns: (best * 1e6) / times, fuel };
}

/** ns per unit: the slope between `lo` and `hi` units per call. */
async function slope(make: (units: number) => [GuestOptions, Partial<SandboxJob>?], lo: number, hi: number, calls: number) {
  const a = await perCall(...withTimes(make(lo), calls));
  const b = await perCall(...withTimes(make(hi), calls));
  return { perUnit: (b.ns - a.ns) / (hi - lo), lo: a, hi: b };
}
const withTimes = ([o, over]: [GuestOptions, Partial<SandboxJob>?], times: number): [GuestOptions, number, Partial<SandboxJob>] => [o, times, over ?? {}];

const iov = (call: "fd_write" | "fd_read") => (n: number): [GuestOptions, Partial<SandboxJob>] => [
  { call, args: [call === "fd_write" ? 1 : 0, 65536, n, 8], memoryPages: 1 + Math.ceil((65536 + 8 * n) / 65536) },
  { stdin: new Uint8Array(1000) },
];

function subs(n: number): [GuestOptions] {
  const data = new Uint8Array(48 * n);
  for (let i = 0; i < n; i++) data[48 * i + 8] = 1; // FD_READ on fd 0
  return [{ call: "poll_oneoff", args: [65536, 65536 + 48 * n, n, 8], memoryPages: 2 + Math.ceil((80 * n) / 65536), data: [[65536, data]] }];
}

function path(p: string, call = "path_filestat_get"): GuestOptions {
  const b = enc.encode(p);
  return { call, args: [3, 0, 65536, b.length, 8], memoryPages: 2, data: [[65536, b]] };
}

async function plainNsPerFuel() {
  const bytes = new Uint8Array(readFileSync(new URL("sha256.wasm", FIXTURES)));
  const inputs = { "data.bin": noise(16 << 20) };
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const { ms, r } = await runModule(bytes, { args: ["sha256", "/input/data.bin"], inputs });
    best = Math.min(best, (ms * 1e6) / r.fuelUsed);
  }
  return best;
}

/** fd_readdir of one entry per call (32-byte buffer) at cookies walking a directory of `n` entries. */
function readdir(n: number): [GuestOptions, Partial<SandboxJob>] {
  const inputs = Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i}`, new Uint8Array(0)]));
  return [{ call: "fd_readdir", args: [3, 65536, 32, 1000n, 8], memoryPages: 2 }, { inputs }];
}

for (let rep = 0; rep < REPEATS; rep++) {
  const plain = await plainNsPerFuel();
  const base = await perCall({ call: "sched_yield", args: [] }, 2_000_000);
  const w = await slope(iov("fd_write"), 0, 100_000, 200);
  const r = await slope(iov("fd_read"), 0, 100_000, 200);
  const s = await slope(subs, 1, 100_000, 200);
  const [dOpts, dOver] = readdir(60_000);
  const d = await perCall(dOpts, 500_000, dOver);
  const deep = "a/".repeat(2046) + "a";
  const dots = "./".repeat(2047) + "a";
  const p1 = await perCall(path("a"), 300_000, { inputs: { "a/x": new Uint8Array(0) } });
  const pdots = await perCall(path(dots), 5_000, { inputs: { "a/x": new Uint8Array(0) } });
  const pup = await perCall(path("a/../".repeat(818) + "a"), 5_000, { inputs: { "a/x": new Uint8Array(0) } });
  const pdeep = await perCall(path(deep), 5_000, { inputs: { [`${deep}/x`]: new Uint8Array(0) } });
  const bytes = await perCall(path("a".repeat(255)), 100_000, { inputs: { ["a".repeat(255)]: new Uint8Array(0) } });
  const mk = await perCall({ call: "path_create_directory", args: [4, 60000, 4], nameAt: 60000, memoryPages: 1 }, 60_000);
  const comps = 2048;
  const per = (x: { ns: number }) => (x.ns - base.ns);
  const row = (name: string, ns: number, fuel: number) => ({ name, "ns/unit": +ns.toFixed(2), "fuel/unit now": fuel, "ns/fuel now": +(ns / fuel).toFixed(3), "x plain": +(ns / fuel / plain).toFixed(1), "fuel for 8x": Math.ceil(ns / (8 * plain)) });
  console.log(`repeat ${rep + 1}: plain sha256 ${plain.toFixed(3)} ns/fuel`);
  console.table([
    row("call base (sched_yield)", base.ns, C.FUEL_PER_HOST_CALL),
    row("iovec written (empty)", w.perUnit, C.FUEL_PER_IOVEC),
    row("iovec read (empty)", r.perUnit, C.FUEL_PER_IOVEC),
    row("subscription (FD_READ)", s.perUnit, C.FUEL_PER_SUBSCRIPTION),
    row("dirent (call - base)", per(d), C.FUEL_PER_DIRENT),
    row("path 1 comp call - base", per(p1), C.FUEL_PER_PATH_COMPONENT),
    row("component ./ (slope)", (pdots.ns - p1.ns) / (comps - 1), C.FUEL_PER_PATH_COMPONENT + 2 * C.FUEL_PER_PATH_BYTE),
    row("component a/../ (slope)", (pup.ns - p1.ns) / (818 * 3), C.FUEL_PER_PATH_COMPONENT + 1.67 * C.FUEL_PER_PATH_BYTE),
    row("component a/ deep (slope)", (pdeep.ns - p1.ns) / (comps - 2), C.FUEL_PER_PATH_COMPONENT + 2 * C.FUEL_PER_PATH_BYTE),
    row("path byte (255-byte name)", (bytes.ns - p1.ns) / 254, C.FUEL_PER_PATH_BYTE),
    row("mkdir (call - base)", per(mk), mk.fuel - C.FUEL_PER_HOST_CALL),
  ]);
}

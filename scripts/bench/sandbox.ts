// `npm run bench:sandbox`: what fuel metering costs. Each CPU-heavy fixture runs three ways —
// the sandbox pool with metering (end to end: worker hand-off, in-memory WASI, result), the
// same module uninstrumented on plain WebAssembly.instantiate with the same in-memory WASI, and
// a native gcc -O2 build of the same C source — and we compare median wall times.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandboxPool, DEFAULT_LIMITS, type SandboxJob } from "../../client/src/sandbox/index.ts";
import { WasiHost } from "../../client/src/sandbox/wasi/host.ts";
import { RunEnd } from "../../client/src/sandbox/wasi/fs.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SHA_INPUT_BYTES = 64 * 1_048_576;
const NBODY_STEPS = Number(process.env.BENCH_NBODY_STEPS ?? 5_000_000);
const FIXTURES = new URL("../../client/fixtures/wasm/", import.meta.url);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function input(bytes: number): Uint8Array {
  // xorshift32: incompressible, reproducible input without a data file.
  const out = new Uint8Array(bytes);
  const v = new Uint32Array(out.buffer);
  let x = 0x9e3779b9;
  for (let i = 0; i < v.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    v[i] = x >>> 0;
  }
  return out;
}

async function plainRun(module: WebAssembly.Module, job: SandboxJob): Promise<string> {
  const host = new WasiHost({ job, charge: () => {} });
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: host.imports() });
  host.memory.bind(instance.exports.memory as WebAssembly.Memory);
  try {
    (instance.exports._start as () => void)();
  } catch (err) {
    if (!(err instanceof RunEnd)) throw err;
  }
  return new TextDecoder().decode(host.stdout.bytes());
}

const work = mkdtempSync(join(tmpdir(), "accord-bench-sandbox-"));
const pool = createSandboxPool({ size: 1 });
const rows: { name: string; metered_ms: number; plain_ms: number; native_ms: number; fuel: number }[] = [];
try {
  const data = input(SHA_INPUT_BYTES);
  writeFileSync(join(work, "data.bin"), data);
  const cases = [
    { name: "sha256-64MiB", fixture: "sha256", args: ["/input/data.bin"], nativeArgs: [join(work, "data.bin")], inputs: { "data.bin": data } },
    { name: `nbody-${NBODY_STEPS}`, fixture: "nbody", args: [String(NBODY_STEPS)], nativeArgs: [String(NBODY_STEPS)], inputs: {} as Record<string, Uint8Array> },
  ];
  for (const c of cases) {
    const bytes = new Uint8Array(readFileSync(new URL(`${c.fixture}.wasm`, FIXTURES)));
    const job: SandboxJob = {
      module: bytes, args: [c.fixture, ...c.args], env: {}, inputs: c.inputs, seed: new Uint8Array(32),
      limits: { ...DEFAULT_LIMITS, fuel: Number.MAX_SAFE_INTEGER, memoryPages: 1024 },
    };
    const native = join(work, c.fixture);
    execFileSync("gcc", ["-O2", "-o", native, new URL(`${c.fixture}.c`, FIXTURES).pathname, "-lm"]);
    const plainModule = await WebAssembly.compile(bytes);

    const warm = await pool.run(job); // fills the worker's compiled-module cache
    const expected = new TextDecoder().decode(warm.stdout);
    if (warm.status.kind !== "exit" || warm.status.code !== 0) throw new Error(`${c.name}: ${JSON.stringify(warm.status)}`);
    if ((await plainRun(plainModule, job)) !== expected) throw new Error(`${c.name}: plain run disagrees with the sandbox`);
    if (execFileSync(native, c.nativeArgs, { encoding: "utf8" }) !== expected) throw new Error(`${c.name}: native run disagrees with the sandbox`);

    const metered: number[] = [], plain: number[] = [], nat: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await pool.run(job);
      metered.push(performance.now() - t);
      t = performance.now();
      await plainRun(plainModule, job);
      plain.push(performance.now() - t);
      t = performance.now();
      execFileSync(native, c.nativeArgs);
      nat.push(performance.now() - t);
    }
    rows.push({ name: c.name, metered_ms: median(metered), plain_ms: median(plain), native_ms: median(nat), fuel: warm.fuelUsed });
  }
} finally {
  await pool.close();
  rmSync(work, { recursive: true, force: true });
}

const table = rows.map((r) => ({
  case: r.name,
  "metered ms": r.metered_ms.toFixed(1),
  "plain ms": r.plain_ms.toFixed(1),
  "native ms": r.native_ms.toFixed(1),
  "metered/plain": (r.metered_ms / r.plain_ms).toFixed(3),
  "metered/native": (r.metered_ms / r.native_ms).toFixed(3),
  "fuel/s": (r.fuel / (r.metered_ms / 1000)).toExponential(3),
}));
console.table(table);
const worst = (f: (r: (typeof rows)[number]) => number) => Math.max(...rows.map(f));
const result = {
  runs: RUNS,
  metered_over_plain: worst((r) => r.metered_ms / r.plain_ms),
  metered_over_native: worst((r) => r.metered_ms / r.native_ms),
  fuel_per_second: Math.min(...rows.map((r) => r.fuel / (r.metered_ms / 1000))),
  cases: rows,
};
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/sandbox.json", `${JSON.stringify(result, null, 2)}\n`);
console.log(`metered/plain (worst case) ${result.metered_over_plain.toFixed(3)} (target ≤ 1.25); wrote bench/results/sandbox.json`);

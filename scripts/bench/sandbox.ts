// `npm run bench:sandbox`: what fuel metering costs. Each CPU-heavy fixture runs these ways:
// - metered: the sandbox pool end to end (job hand-off to a worker, validation cache hit,
//   in-memory WASI, result back);
// - plain: the same module uninstrumented on plain WebAssembly.instantiate with the same
//   in-memory WASI, in a worker of its own that gets the job the same way (a postMessage of the
//   same shared job), so both sides pay the same hand-off and the ratio is metering alone;
// - metered/plain in one thread (no workers): the CPU time of the run itself, the figure that
//   least depends on machine load; also the exact-NaN module alone (what a job whose NaNs show
//   runs again after its optimistic run, see docs/PROTOCOL.md "Floating point");
// - native: gcc -O2 of the same C source.
// Jobs are made with shareJob, so the 64 MiB input is shared with the workers, not copied per
// run; "metered, cloned" is the pool with a plain (structured-cloned) job, for comparison.
// CPU figures are process CPU time (all threads) for the worker cases, thread CPU time for the
// in-thread ones; wall figures are medians too, but move with the load from other processes.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { createSandboxPool, DEFAULT_LIMITS, type SandboxJob, shareJob } from "../../client/src/sandbox/index.ts";
import { WORKER_HEAP_OVERHEAD_MB, WORKER_STACK_MB } from "../../client/src/sandbox/constants.ts";
import { executeModule } from "../../client/src/sandbox/execute.ts";
import { prepareModule } from "../../client/src/sandbox/validate.ts";
import { WasiHost } from "../../client/src/sandbox/wasi/host.ts";
import { RunEnd } from "../../client/src/sandbox/wasi/fs.ts";

async function plainRun(module: WebAssembly.Module, job: SandboxJob): Promise<Uint8Array> {
  const host = new WasiHost({ job, charge: () => {} });
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: host.imports() });
  host.memory.bind(instance.exports.memory as WebAssembly.Memory);
  try {
    (instance.exports._start as () => void)();
  } catch (err) {
    if (!(err instanceof RunEnd)) throw err;
  }
  return host.stdout.bytes();
}

if (!isMainThread) {
  // The plain worker: compiles each module once (as the pool's cache does), then runs jobs.
  const compiled = new Map<string, WebAssembly.Module>();
  parentPort!.on("message", async ({ key, job }: { key: string; job: SandboxJob }) => {
    let module = compiled.get(key);
    if (!module) compiled.set(key, (module = await WebAssembly.compile(job.module.slice())));
    const stdout = await plainRun(module, job);
    parentPort!.postMessage(stdout, [stdout.buffer as ArrayBuffer]);
  });
} else {
  await main();
}

async function main() {
  const RUNS = Number(process.env.BENCH_RUNS ?? 3);
  const SHA_INPUT_BYTES = 64 * 1_048_576;
  const NBODY_STEPS = Number(process.env.BENCH_NBODY_STEPS ?? 5_000_000);
  const FIXTURES = new URL("../../client/fixtures/wasm/", import.meta.url);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);

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

  /** Wall ms and CPU ms (process-wide or this thread's) of one call. */
  async function measure(f: () => Promise<unknown>, thread = false): Promise<[number, number]> {
    const cpu0 = thread ? process.threadCpuUsage() : process.cpuUsage();
    const t = performance.now();
    await f();
    const wall = performance.now() - t;
    const cpu = thread ? process.threadCpuUsage(cpu0) : process.cpuUsage(cpu0);
    return [wall, (cpu.user + cpu.system) / 1000];
  }

  const work = mkdtempSync(join(tmpdir(), "accord-bench-sandbox-"));
  const pool = createSandboxPool({ size: 1 });
  const plainWorker = new Worker(new URL(import.meta.url), { resourceLimits: { stackSizeMb: WORKER_STACK_MB, maxOldGenerationSizeMb: WORKER_HEAP_OVERHEAD_MB } });
  let pending: { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void } | undefined;
  plainWorker.on("message", (b: Uint8Array) => pending?.resolve(b));
  plainWorker.on("error", (e) => pending?.reject(e));
  const plainInWorker = (key: string, job: SandboxJob) =>
    new Promise<Uint8Array>((resolve, reject) => {
      pending = { resolve, reject };
      plainWorker.postMessage({ key, job });
    });
  type Row = Record<string, number | string>;
  const rows: Row[] = [];
  try {
    const data = input(SHA_INPUT_BYTES);
    writeFileSync(join(work, "data.bin"), data);
    const cases = [
      { name: "sha256-64MiB", fixture: "sha256", args: ["/input/data.bin"], nativeArgs: [join(work, "data.bin")], inputs: { "data.bin": data } },
      { name: `nbody-${NBODY_STEPS}`, fixture: "nbody", args: [String(NBODY_STEPS)], nativeArgs: [String(NBODY_STEPS)], inputs: {} as Record<string, Uint8Array> },
    ];
    for (const c of cases) {
      const bytes = new Uint8Array(readFileSync(new URL(`${c.fixture}.wasm`, FIXTURES)));
      const cloned: SandboxJob = {
        module: bytes, args: [c.fixture, ...c.args], env: {}, inputs: c.inputs, seed: new Uint8Array(32),
        limits: { ...DEFAULT_LIMITS, fuel: Number.MAX_SAFE_INTEGER, memoryPages: 1024 },
      };
      const job = shareJob(cloned);
      const native = join(work, c.fixture);
      execFileSync("gcc", ["-O2", "-o", native, new URL(`${c.fixture}.c`, FIXTURES).pathname, "-lm"]);
      const plainModule = await WebAssembly.compile(bytes);
      const prepared = prepareModule(bytes, job.limits);
      const meteredModule = await WebAssembly.compile(prepared.instrumented.bytes as Uint8Array<ArrayBuffer>);
      // As a worker does: the exact module only if a run reports a NaN it must canonicalise.
      const exactModule = await WebAssembly.compile(prepareModule(bytes, job.limits, "exact").instrumented.bytes as Uint8Array<ArrayBuffer>);
      const exact = async () => exactModule;

      const warm = await pool.run(job); // fills the worker's compiled-module cache
      const expected = decode(warm.stdout);
      if (warm.status.kind !== "exit" || warm.status.code !== 0) throw new Error(`${c.name}: ${JSON.stringify(warm.status)}`);
      if (decode(await plainInWorker(c.name, job)) !== expected) throw new Error(`${c.name}: plain run disagrees with the sandbox`);
      if (execFileSync(native, c.nativeArgs, { encoding: "utf8" }) !== expected) throw new Error(`${c.name}: native run disagrees with the sandbox`);

      const t: Record<string, [number, number][]> = { metered: [], plain: [], cloned: [], meteredThread: [], exactThread: [], plainThread: [], native: [] };
      for (let i = 0; i < RUNS; i++) {
        t.metered!.push(await measure(() => pool.run(job)));
        t.plain!.push(await measure(() => plainInWorker(c.name, job)));
        t.cloned!.push(await measure(() => pool.run(cloned)));
        t.meteredThread!.push(await measure(() => executeModule({ module: meteredModule, hasStart: prepared.instrumented.hasStart, job, exact }), true));
        t.exactThread!.push(await measure(() => executeModule({ module: exactModule, hasStart: prepared.instrumented.hasStart, job }), true));
        t.plainThread!.push(await measure(() => plainRun(plainModule, job), true));
        t.native!.push(await measure(async () => execFileSync(native, c.nativeArgs)));
      }
      const wall = (k: string) => median(t[k]!.map((x) => x[0]));
      const cpu = (k: string) => median(t[k]!.map((x) => x[1]));
      rows.push({
        case: c.name,
        metered_wall_ms: wall("metered"), plain_wall_ms: wall("plain"), metered_cpu_ms: cpu("metered"), plain_cpu_ms: cpu("plain"),
        metered_cloned_wall_ms: wall("cloned"), metered_cloned_cpu_ms: cpu("cloned"),
        thread_metered_cpu_ms: cpu("meteredThread"), thread_exact_nan_cpu_ms: cpu("exactThread"), thread_plain_cpu_ms: cpu("plainThread"),
        native_wall_ms: wall("native"), fuel: warm.fuelUsed,
      });
    }
  } finally {
    await pool.close();
    await plainWorker.terminate();
    rmSync(work, { recursive: true, force: true });
  }

  const n = (r: Row, k: string) => r[k] as number;
  const ratio = (r: Row, a: string, b: string) => n(r, a) / n(r, b);
  console.table(rows.map((r) => ({
    case: r.case,
    "metered ms wall/cpu": `${n(r, "metered_wall_ms").toFixed(0)} / ${n(r, "metered_cpu_ms").toFixed(0)}`,
    "plain ms wall/cpu": `${n(r, "plain_wall_ms").toFixed(0)} / ${n(r, "plain_cpu_ms").toFixed(0)}`,
    "metered/plain wall": ratio(r, "metered_wall_ms", "plain_wall_ms").toFixed(3),
    "metered/plain cpu": ratio(r, "metered_cpu_ms", "plain_cpu_ms").toFixed(3),
    "in-thread cpu ratio": ratio(r, "thread_metered_cpu_ms", "thread_plain_cpu_ms").toFixed(3),
    "exact-NaN in-thread ratio": ratio(r, "thread_exact_nan_cpu_ms", "thread_plain_cpu_ms").toFixed(3),
    "cloned-input metered ms wall/cpu": `${n(r, "metered_cloned_wall_ms").toFixed(0)} / ${n(r, "metered_cloned_cpu_ms").toFixed(0)}`,
    "metered/native wall": ratio(r, "metered_wall_ms", "native_wall_ms").toFixed(3),
  })));
  const worst = (f: (r: Row) => number) => Math.max(...rows.map(f));
  const result = {
    runs: RUNS,
    metered_over_plain: worst((r) => ratio(r, "metered_wall_ms", "plain_wall_ms")),
    metered_over_plain_cpu: worst((r) => ratio(r, "metered_cpu_ms", "plain_cpu_ms")),
    metered_over_plain_thread_cpu: worst((r) => ratio(r, "thread_metered_cpu_ms", "thread_plain_cpu_ms")),
    metered_over_native: worst((r) => ratio(r, "metered_wall_ms", "native_wall_ms")),
    fuel_per_second: Math.min(...rows.map((r) => n(r, "fuel") / (n(r, "metered_wall_ms") / 1000))),
    cases: rows,
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/sandbox.json", `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `metered/plain (worst case) wall ${result.metered_over_plain.toFixed(3)}, cpu ${result.metered_over_plain_cpu.toFixed(3)}, ` +
      `in-thread cpu ${result.metered_over_plain_thread_cpu.toFixed(3)} (target ≤ 1.25); wrote bench/results/sandbox.json`,
  );
}

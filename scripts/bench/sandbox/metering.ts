/**
 * What fuel metering costs (the bench's original rows). Each CPU-heavy fixture runs these ways:
 * - metered: the sandbox pool end to end (job hand-off, validation cache hit, in-memory WASI,
 *   result back);
 * - plain: the same module uninstrumented on plain WebAssembly.instantiate with the same
 *   in-memory WASI, in a worker of its own that gets the job the same way (a postMessage of the
 *   same shared job), so both sides pay a hand-off and the ratio is mostly metering;
 * - metered/plain in one thread (no workers): the CPU time of the run itself, the figure that
 *   least depends on machine load; also the exact-NaN module alone (what a job whose NaNs show
 *   runs again after its optimistic run, see docs/PROTOCOL.md "Floating point");
 * - native: gcc -O2 of the same C source.
 * Jobs are made with shareJob; "metered, cloned" is the pool with a plain job, for comparison.
 * CPU figures are process CPU time (all threads) for the worker cases, thread CPU time for the
 * in-thread ones (a pool of child processes does its work outside this process's CPU time).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { DEFAULT_LIMITS, type SandboxJob, type SandboxPool, shareJob } from "../../../client/src/sandbox/index.ts";
import { WORKER_HEAP_OVERHEAD_MB, WORKER_STACK_MB } from "../../../client/src/sandbox/constants.ts";
import { executeModule } from "../../../client/src/sandbox/execute.ts";
import { prepareModule } from "../../../client/src/sandbox/validate.ts";
import { WasiHost } from "../../../client/src/sandbox/wasi/host.ts";
import { RunEnd } from "../../../client/src/sandbox/wasi/fs.ts";
import { noise } from "../../../client/fixtures/wasm/workloads.ts";
import { decode, fixture, fixturePath, measure, median, type Row } from "./common.ts";

export async function plainRun(module: WebAssembly.Module, job: SandboxJob): Promise<Uint8Array> {
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

if (!isMainThread && parentPort) {
  // The plain worker: compiles each module once (as the pool's cache does), then runs jobs.
  const compiled = new Map<string, WebAssembly.Module>();
  parentPort.on("message", async ({ key, job }: { key: string; job: SandboxJob }) => {
    let module = compiled.get(key);
    if (!module) compiled.set(key, (module = await WebAssembly.compile(job.module.slice())));
    const stdout = await plainRun(module, job);
    parentPort!.postMessage(stdout, [stdout.buffer as ArrayBuffer]);
  });
}

export async function meteringRows(pool: SandboxPool, work: string, runs: number, nbodySteps: number): Promise<Row[]> {
  const plainWorker = new Worker(new URL(import.meta.url), { resourceLimits: { stackSizeMb: WORKER_STACK_MB, maxOldGenerationSizeMb: WORKER_HEAP_OVERHEAD_MB } });
  let pending: { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void } | undefined;
  plainWorker.on("message", (b: Uint8Array) => pending?.resolve(b));
  plainWorker.on("error", (e) => pending?.reject(e));
  const plainInWorker = (key: string, job: SandboxJob) =>
    new Promise<Uint8Array>((resolve, reject) => {
      pending = { resolve, reject };
      plainWorker.postMessage({ key, job });
    });
  const rows: Row[] = [];
  try {
    const data = noise(64 * 1_048_576);
    writeFileSync(join(work, "metering-data.bin"), data);
    const cases = [
      { name: "sha256-64MiB", fixture: "sha256", args: ["/input/data.bin"], nativeArgs: [join(work, "metering-data.bin")], inputs: { "data.bin": data } },
      { name: `nbody-${nbodySteps}`, fixture: "nbody", args: [String(nbodySteps)], nativeArgs: [String(nbodySteps)], inputs: {} as Record<string, Uint8Array> },
    ];
    for (const c of cases) {
      const bytes = fixture(c.fixture);
      const cloned: SandboxJob = {
        module: bytes, args: [c.fixture, ...c.args], env: {}, inputs: c.inputs, seed: new Uint8Array(32),
        limits: { ...DEFAULT_LIMITS, fuel: Number.MAX_SAFE_INTEGER, memoryPages: 1024 },
      };
      const job = shareJob(cloned);
      const native = join(work, `${c.fixture}-gcc`);
      execFileSync("gcc", ["-O2", "-o", native, fixturePath(`${c.fixture}.c`), "-lm"]);
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

      // In-thread modules warm too, as the pool's are: V8 has no on-stack replacement for wasm, so a
      // function's first call runs its hot loop in the baseline tier (nbody's main: ~2x slower).
      await executeModule({ module: meteredModule, hasStart: prepared.instrumented.hasStart, job, exact });
      await executeModule({ module: exactModule, hasStart: prepared.instrumented.hasStart, job });
      await plainRun(plainModule, job);

      const t: Record<string, [number, number][]> = { metered: [], plain: [], cloned: [], meteredThread: [], exactThread: [], plainThread: [], native: [] };
      for (let i = 0; i < runs; i++) {
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
    await plainWorker.terminate();
  }
  return rows;
}

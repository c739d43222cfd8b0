/**
 * Standalone (not part of bench:sandbox): where the realistic workloads' time over native goes.
 * Runs each workload in this thread (no pool, no hand-off), plain (uninstrumented) and metered
 * (instrumented as the pool runs it), three runs on one compiled module as the pool's cache
 * does, under V8 tiering flags, each set in a fresh process:
 *   default (Liftoff first, dynamic tier-up to TurboFan: no on-stack replacement, so a hot loop
 *   in a function called once stays in Liftoff for that call), --no-liftoff (TurboFan for every
 *   function from its first call), --liftoff-only (never TurboFan).
 * Prints thread CPU ms per run and the native time of the same source (its best of three wall
 * times, measured in the same process right before, so both see the same machine load).
 *   node scripts/bench/sandbox/tiers.ts [workload-name-filter]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { executeModule } from "../../../client/src/sandbox/execute.ts";
import { prepareModule } from "../../../client/src/sandbox/validate.ts";
import { decode, fixture, makeJob, measure } from "./common.ts";
import { plainRun } from "./metering.ts";
import { compileNatives, workloads } from "./native.ts";

const FLAG_SETS: Record<string, string[]> = { default: [], "no-liftoff": ["--no-liftoff"], "liftoff-only": ["--liftoff-only"] };
const RUNS = 3;
const NBODY_STEPS = 5_000_000;
const filter = process.argv[2] === "--child" ? process.argv[5] : process.argv[2];
type Result = { native: number; plain: number[]; metered: number[]; compile_ms: number };

if (process.argv[2] === "--child") {
  // One process, one flag set: CPU ms of each run, plain then metered, by workload.
  const work = process.argv[3]!;
  const bins = new Map<string, string>(Object.entries(JSON.parse(process.argv[4]!)));
  const out: Record<string, Result> = {};
  for (const w of workloads(work, NBODY_STEPS)) {
    const key = `${w.name} (${w.lang})`;
    if ((filter && !key.includes(filter)) || !bins.has(w.wasm)) continue;
    const native: number[] = [];
    for (let i = 0; i < RUNS; i++) native.push((await measure(async () => execFileSync(bins.get(w.wasm)!, w.nativeArgs)))[0]);
    const job = makeJob(w.wasm, w.args, { inputs: w.inputs }, { fuel: Number.MAX_SAFE_INTEGER, memoryPages: 4096 });
    const bytes = fixture(w.wasm);
    const t = performance.now();
    const plain = await WebAssembly.compile(bytes);
    const prepared = prepareModule(bytes, job.limits);
    const metered = await WebAssembly.compile(prepared.instrumented.bytes as Uint8Array<ArrayBuffer>);
    const exactModule = async () => WebAssembly.compile(prepareModule(bytes, job.limits, "exact").instrumented.bytes as Uint8Array<ArrayBuffer>);
    const compile_ms = performance.now() - t;
    const r: Result = { native: Math.min(...native), plain: [], metered: [], compile_ms };
    let stdout = "";
    for (let i = 0; i < RUNS; i++) r.plain.push((await measure(async () => (stdout = decode(await plainRun(plain, job))), true))[1]);
    const expect = stdout;
    for (let i = 0; i < RUNS; i++) {
      r.metered.push((await measure(async () => (stdout = decode((await executeModule({ module: metered, hasStart: prepared.instrumented.hasStart, job, exact: exactModule })).stdout)), true))[1]);
    }
    if (stdout !== expect) throw new Error(`${key}: metered and plain disagree`);
    out[key] = r;
  }
  console.log(JSON.stringify(out));
} else {
  const work = mkdtempSync(join(tmpdir(), "accord-bench-tiers-"));
  try {
    const list = workloads(work, NBODY_STEPS);
    const bins = compileNatives(list, work);
    const results: Record<string, Record<string, Result>> = {};
    for (const [name, flags] of Object.entries(FLAG_SETS)) {
      const args = [...flags, new URL(import.meta.url).pathname, "--child", work, JSON.stringify(Object.fromEntries(bins)), filter ?? ""];
      const out = execFileSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 24 });
      results[name] = JSON.parse(out.trim().split("\n").at(-1)!);
    }
    const f = (xs: number[]) => xs.map((x) => x.toFixed(0)).join("/");
    const rows = Object.keys(results.default!).map((key) => {
      const row: Record<string, string> = { workload: key };
      for (const name of Object.keys(FLAG_SETS)) {
        const r = results[name]![key];
        if (!r) continue;
        row[`${name}: native`] = r.native.toFixed(0);
        row[`${name}: plain`] = f(r.plain);
        row[`${name}: metered`] = f(r.metered);
        row[`${name}: warm metered/native`] = (Math.min(...r.metered.slice(1)) / r.native).toFixed(2);
      }
      return row;
    });
    console.log("thread CPU ms of runs 1/2/3 on one compiled module; native: best wall of 3; ratio: best of metered runs 2-3 over native");
    console.table(rows);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * host_ns_per_fuel: wall time per unit of fuel of modules that spend their fuel on WASI calls
 * (client/fixtures/wasm/hostile-*.wat), through the public pool as a provider runs them, next
 * to plain compute (plain_wasm_ns_per_fuel). Each runs until its fuel (1e8) or the cap in its
 * args; ns/fuel = wall / fuelUsed. Args are sized so that each case ends in seconds under the
 * fuel rule of this writing (ABI 2's prices); a run that ends in an error (the sandbox process crashed, the
 * wall clock) has no fuelUsed, so it is reported with wall / fuel limit, a lower bound.
 */
import { MAX_LIMITS, type SandboxPool } from "../../../client/src/sandbox/index.ts";
import { makeJob, median, type Row } from "./common.ts";
import { noise } from "../../../client/fixtures/wasm/workloads.ts";

const FUEL = 100_000_000;

type Case = { name: string; module: string; args: string[]; fuel?: number; memoryPages?: number; stdin?: Uint8Array; inputs?: Record<string, Uint8Array> };

export const HOSTILE_CASES: Case[] = [
  // Until the fuel runs out, at most 50 calls (ABI 1 charged a call 64 fuel whatever its iovecs: 50 calls of 1M took ~2 min).
  // A call of 1M iovecs costs 48M fuel: 1e9 pays for ~20, so the job's fixed cost (a 368-page
  // memory made and zeroed, ~10-20 ms) is small next to the calls, as for the plain cases; at
  // 1e8 (two calls) it was a third of the wall.
  { name: "iovecs fd_write 1M until fuel", module: "hostile-iovecs", args: ["1000000", "50"], fuel: 1_000_000_000 },
  { name: "iovecs fd_read 1M until fuel", module: "hostile-iovecs", args: ["1000000", "50", "1"], stdin: new Uint8Array(1000), fuel: 1_000_000_000 },
  // A call of 1M subscriptions costs 256M fuel: 2e9 pays for ~7 of them after the setup.
  { name: "poll_oneoff 1M subs until fuel", module: "hostile-poll", args: ["1000000", "50"], memoryPages: 2048, fuel: 2_000_000_000 },
  // Directories count against limits.outputFiles (ABI 2), so 60k entries under the 65,536 maximum.
  // 10k directories cost ~165M fuel to make; the rest of 2e9 goes on one-entry fd_readdir calls.
  { name: "fd_readdir 10k entries, 32 B buffer, until fuel", module: "hostile-readdir", args: ["10000", "32", "0"], fuel: 2_000_000_000 },
  // V8 takes ~0.2-1 ms for each 1-page grow here: 2000 of them, not up to a 1 GiB cap.
  { name: "memory.grow 1 page x 2000", module: "hostile-grow", args: ["2000"] },
  { name: "paths a/a/.../a 4 KiB x 2000", module: "hostile-paths", args: ["2048", "2000", "0"] },
  { name: "paths ./././a 4 KiB x 10000", module: "hostile-paths", args: ["2048", "10000", "1"] },
  { name: "paths a/../a/.. 4 KiB x 10000", module: "hostile-paths", args: ["2048", "10000", "2"] },
  { name: "mkdir+rmdir 60k until fuel", module: "hostile-mkdir", args: ["60000", "0", "0"] },
  { name: "mkdir kept, until fuel", module: "hostile-mkdir", args: ["60000", "0", "1"] },
];

/** The bomb exactly: 3,000,000 empty iovecs in one fd_write, 100k fuel. Reported apart: its wall is mostly the job's fixed cost. */
export const BOMB: Case = { name: "iovec bomb (3M iovecs, 100k fuel)", module: "hostile-iovecs", args: ["3000000", "1"], fuel: 100_000 };

// Plain compute, run to the end (sha256) or for 1e9 fuel (loop), so the job's hand-off is small next to the run.
export const PLAIN_CASES: Case[] = [
  { name: "loop (plain compute)", module: "loop", args: [], fuel: 1_000_000_000 },
  { name: "sha256 16 MiB (plain compute)", module: "sha256", args: ["/input/data.bin"], fuel: Number.MAX_SAFE_INTEGER, inputs: { "data.bin": noise(16 << 20) } },
];

async function runCase(pool: SandboxPool, c: Case, runs: number): Promise<Row> {
  const fuel = c.fuel ?? FUEL;
  // The largest output_files a job may ask for, so directory floods meet their fuel first.
  const job = makeJob(c.module, c.args, { stdin: c.stdin, inputs: c.inputs }, { fuel, memoryPages: c.memoryPages ?? 4096, wallClockMs: 300_000, outputFiles: MAX_LIMITS.outputFiles });
  const walls: number[] = [];
  let fuelUsed = 0;
  let status = "";
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    try {
      const r = await pool.run(job);
      walls.push(performance.now() - t);
      fuelUsed = r.fuelUsed;
      status = r.status.kind === "exit" ? `exit ${r.status.code}` : r.status.kind === "trap" ? r.status.trap : `limit ${r.status.limit}`;
    } catch (err) {
      walls.push(performance.now() - t);
      status = `error ${(err as Error).name}`;
      fuelUsed = 0;
    }
  }
  const wall = median(walls);
  const bound = fuelUsed === 0;
  return { case: c.name, module: c.module, args: c.args.join(" "), status, fuel_used: fuelUsed, wall_ms: wall, ns_per_fuel: (wall * 1e6) / (bound ? fuel : fuelUsed), lower_bound: bound };
}

/** `runs` runs of each plain case; each hostile case runs `hostileRuns` times (they take seconds). */
export async function hostileFigures(pool: SandboxPool, runs: number, hostileRuns: number) {
  // Warm the pool's process and its compiled-module cache with a tiny run of each module.
  for (const m of new Set(HOSTILE_CASES.map((c) => c.module))) await pool.run(makeJob(m, ["1", "1"], {}, { fuel: 1e6 })).catch(() => {});
  const hostile: Row[] = [];
  for (const c of HOSTILE_CASES) {
    hostile.push(await runCase(pool, c, hostileRuns));
    console.log(`  ${c.name}: ${(hostile.at(-1)!.ns_per_fuel as number).toFixed(2)} ns/fuel (${hostile.at(-1)!.status})`);
  }
  const bomb = await runCase(pool, BOMB, hostileRuns);
  console.log(`  ${BOMB.name}: ${bomb.status} in ${(bomb.wall_ms as number).toFixed(0)} ms`);
  const plain: Row[] = [];
  for (const c of PLAIN_CASES) {
    await pool.run(makeJob(c.module, c.args, { inputs: c.inputs }, { fuel: 1e6 }));
    plain.push(await runCase(pool, c, runs));
  }
  const worst = hostile.reduce((a, b) => ((b.ns_per_fuel as number) > (a.ns_per_fuel as number) ? b : a));
  // The plain figure: sha256, a real compute loop (the bare loop fixture is listed too).
  const plainFigure = plain.find((r) => r.module === "sha256")!.ns_per_fuel as number;
  return { hostile, plain, worst, plainFigure, bomb };
}

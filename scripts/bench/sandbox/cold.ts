/**
 * cold_first_run_ms: in a fresh Node process, from createSandboxPool to the result of the first
 * run of a small module (echo), median over several processes. Run as a script, this file is
 * that one process: it prints the milliseconds as JSON.
 */
import { execFileSync } from "node:child_process";
import { median } from "./common.ts";

export function coldFirstRun(processes: number): { cold_first_run_ms: number; cold_runs_ms: number[] } {
  const runs: number[] = [];
  for (let i = 0; i < processes; i++) {
    const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname], { encoding: "utf8" });
    runs.push(JSON.parse(out.trim().split("\n").at(-1)!).ms);
  }
  return { cold_first_run_ms: median(runs), cold_runs_ms: runs };
}

if (import.meta.main) {
  // Imports first: the figure starts at createSandboxPool, as a daemon that has loaded its code.
  const { createSandboxPool } = await import("../../../client/src/sandbox/index.ts");
  const { makeJob } = await import("./common.ts");
  const job = makeJob("echo", ["hi"], { stdin: new TextEncoder().encode("hello\n") });
  const t = performance.now();
  const pool = createSandboxPool({ size: 1 });
  const r = await pool.run(job);
  const ms = performance.now() - t;
  await pool.close();
  if (r.status.kind !== "exit" || new TextDecoder().decode(r.stdout) !== "hello\n") throw new Error(`echo: ${JSON.stringify(r.status)}`);
  console.log(JSON.stringify({ ms }));
}

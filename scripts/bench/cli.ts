// `npm run bench:cli`: how fast the two CLIs start, as a user's shell runs them (a fresh Node
// process per command, the bin script as the entry). Medians of whole-process wall time:
// - cli_help_ms: `accord --help` (target <= 500 on an idle 2-core machine);
// - cli_job_help_ms: `accord job --help`;
// - cli_status_ms: `accord job status <id>` on a local Hardhat chain with one posted job (target <= 1500);
// - cli_dry_run_ms: `accord job dry-run echo.wasm` (runs in the local sandbox, no chain);
// - provider_help_ms: `accord-provider --help`;
// - provider_status_ms: `accord-provider status` on the same chain (an unregistered provider).
// Each also has *_cpu_ms (user+system time of the process and the children it waited for, read
// at exit: wall is noisy on a loaded machine, CPU much less) and *_modules (modules the command loaded, viem's among them),
// counted in one extra run under a load hook so the hook does not slow the timed runs.
// The first (untimed) run of each command fills Node's compile cache, as a user's first run would.
// Env: BENCH_CLI_RUNS (default 7). BENCH_CLI_HOLD=1 keeps the chain up after the figures and
// prints the environment to run the commands by hand (or under another timer) until Ctrl-C.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { submitJob } from "../../client/src/actions/submitJob.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../devnet/accounts.ts";
import { startDevnet } from "../../test/devnet.ts";

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 7);
const ROOT = join(import.meta.dirname, "..", "..");
const ACCORD = join(ROOT, "client", "bin", "accord.js");
const PROVIDER = join(ROOT, "provider-node", "bin", "accord-provider.js");
const ECHO = join(ROOT, "client", "fixtures", "wasm", "echo.wasm");

// Preloaded with --import: the process's CPU time at exit, appended to $ACCORD_BENCH_OUT, with
// that of the children it waited for (the dry run's sandbox process) where Linux tells it
// (/proc/self/stat's cutime and cstime, in 10 ms ticks).
const CPU_HOOK = `data:text/javascript,${encodeURIComponent(`
import { appendFileSync, readFileSync } from "node:fs";
process.on("exit", () => {
  const u = process.cpuUsage();
  let children = 0;
  try { const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" "); children = (Number(f[13]) + Number(f[14])) * 10; } catch {}
  appendFileSync(process.env.ACCORD_BENCH_OUT, JSON.stringify({ cpuMs: (u.user + u.system) / 1000 + children }) + "\\n");
});
`)}`;
// Preloaded with --import: every module the process loaded (ESM and CommonJS), by URL.
const COUNT_HOOK = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from "node:module";
import { appendFileSync } from "node:fs";
const seen = new Set();
registerHooks({ load(url, context, next) { seen.add(url); return next(url, context); } });
process.on("exit", () => {
  const urls = [...seen].filter((u) => !u.startsWith("node:"));
  appendFileSync(process.env.ACCORD_BENCH_OUT, JSON.stringify({ modules: urls.length, viem: urls.filter((u) => u.includes("/node_modules/viem/")).length }) + "\\n");
});
`)}`;

type Run = { wallMs: number; code: number | null; stderr: string };

function runOnce(hook: string, args: string[], env: Record<string, string>, out: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["--import", hook, ...args], { env: { ...process.env, ...env, ACCORD_BENCH_OUT: out }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ wallMs: performance.now() - t0, code, stderr }));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

type Figures = { wallMs: number; cpuMs: number; modules: number; viem: number };

async function measure(name: string, args: string[], env: Record<string, string>, expectCode = 0): Promise<Figures> {
  const out = join(work, `${name}.jsonl`);
  const check = (r: Run) => {
    if (r.code !== expectCode) throw new Error(`${name}: exit ${r.code} (expected ${expectCode}):\n${r.stderr}`);
  };
  check(await runOnce(CPU_HOOK, args, env, out)); // warm-up: fills the compile cache
  rmSync(out, { force: true });
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await runOnce(CPU_HOOK, args, env, out);
    check(r);
    walls.push(r.wallMs);
  }
  const cpus = readFileSync(out, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { cpuMs: number }).cpuMs);
  rmSync(out, { force: true });
  check(await runOnce(COUNT_HOOK, args, env, out));
  const counted = JSON.parse(readFileSync(out, "utf8").trim()) as { modules: number; viem: number };
  return { wallMs: Math.round(median(walls)), cpuMs: Math.round(median(cpus)), ...counted };
}

const work = mkdtempSync(join(tmpdir(), "accord-bench-cli-"));
const net = await startDevnet();
try {
  // One posted job for `accord job status`; nobody bids on it, which status does not mind.
  const requester = net.requester(DEV_ROLES.requesters[0]);
  let jobId: bigint;
  try {
    const posted = await submitJob(requester, { module: new Uint8Array(readFileSync(ECHO)), stdin: new TextEncoder().encode("hello"), replicas: 1, maxPrice: 1_000n, announce: false });
    jobId = posted.jobId;
  } finally {
    await requester.close();
  }
  const d = net.deployment;
  const config = join(work, "accord", "config.json");
  mkdirSync(join(work, "accord"), { recursive: true });
  writeFileSync(config, JSON.stringify({ rpcUrl: d.rpcUrl, chainId: d.chainId, jobMarket: d.jobMarket, token: d.token, startBlock: d.startBlock }));
  const accordEnv = { ACCORD_CONFIG: config, ACCORD_PRIVATE_KEY: DEV_ACCOUNTS[DEV_ROLES.requesters[0]]!.privateKey };
  const providerDir = join(work, "provider");
  const providerEnv = { ACCORD_DATA_DIR: providerDir, ACCORD_RPC_URL: d.rpcUrl!, ACCORD_MARKET: d.jobMarket };
  const init = await runOnce(CPU_HOOK, [PROVIDER, "init"], providerEnv, join(work, "init.jsonl"));
  if (init.code !== 0) throw new Error(`accord-provider init failed:\n${init.stderr}`);

  const cases: Array<[key: string, label: string, args: string[], env: Record<string, string>]> = [
    ["cli_help", "accord --help", [ACCORD, "--help"], {}],
    ["cli_job_help", "accord job --help", [ACCORD, "job", "--help"], {}],
    ["cli_status", `accord job status ${jobId}`, [ACCORD, "job", "status", String(jobId)], accordEnv],
    ["cli_dry_run", "accord job dry-run echo.wasm", [ACCORD, "job", "dry-run", ECHO], accordEnv],
    ["provider_help", "accord-provider --help", [PROVIDER, "--help"], {}],
    ["provider_status", "accord-provider status", [PROVIDER, "status"], providerEnv],
  ];
  const result: Record<string, unknown> = { runs: RUNS };
  const table: Record<string, Record<string, number>> = {};
  for (const [key, label, args, env] of cases) {
    const f = await measure(key, args, env);
    result[`${key}_ms`] = f.wallMs;
    result[`${key}_cpu_ms`] = f.cpuMs;
    result[`${key}_modules`] = f.modules;
    result[`${key}_viem_modules`] = f.viem;
    table[label] = { "wall ms (median)": f.wallMs, "cpu ms (median)": f.cpuMs, modules: f.modules, "of them viem": f.viem };
  }
  result.cores = availableParallelism();
  result.load_average_1m = Number(loadavg()[0]!.toFixed(2));
  result.measured_at = new Date().toISOString();
  console.table(table);
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cli.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log("wrote bench/results/cli.json");

  if (process.env.BENCH_CLI_HOLD === "1") {
    console.log(`\nthe chain stays up until Ctrl-C; job ${jobId} is posted. To run the commands by hand:`);
    console.log(`  export ${Object.entries({ ...accordEnv, ...providerEnv }).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  }
} finally {
  await net.stop();
  rmSync(work, { recursive: true, force: true });
}

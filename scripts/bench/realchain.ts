/**
 * `npm run bench:realchain`: the market on an independent EVM node with real block times. anvil
 * (Foundry's node, not Hardhat) mines a block every 2 s, so a job's posts, bids, commits and
 * reveals share blocks with everyone else's, as on a live chain. Five `accord-provider` daemons
 * run with their default settings. A requester posts 100 three-replica jobs in batches of 10
 * (submitJobs: one transaction a batch, all batches at once), and 10 `accord job submit`
 * processes post one job each from one account at the same moment, each following its job to the
 * result as a user's shell would.
 *
 * Figures (bench/results/realchain.json):
 * - succeeded_ratio: jobs that ended Succeeded with the expected output over jobs posted (target 1.0);
 * - reverted_provider_txs: provider transactions mined with status reverted, read from every
 *   block's receipts (target 0); the daemons' transaction_errors_total (reverted or unsent) and
 *   races_lost_total (mined after another party moved the job) beside it;
 * - median_blocks_to_verified: blocks from the one holding a job's post to the one holding its
 *   Succeeded settlement (target <= 4);
 *   The burst posts 110 jobs at once, so this is mostly queueing behind the providers' capacity;
 * - median_blocks_to_verified_one_at_a_time: the same for SINGLE jobs posted one after another once
 *   the burst is over (what a requester meets on a market that is not saturated), with
 *   one_at_a_time_phases: the median block of each step counted from the post (first bid, award
 *   with the draw, reveal phase open, settlement);
 * - blocks_to_verified_histogram, median_blocks_to_verified_batched / _cli, burst_phases (median
 *   blocks from a burst job's post to its first bid and award), post_blocks_histogram (the blocks,
 *   counted from the first post, the burst's jobs were posted in): where a burst's jobs wait;
 * - jobs_per_second: jobs settled Succeeded over the wall time from the first post to the last settlement;
 * - burst_cpu_ms_per_job: CPU time (user + system) the five daemons together, the chain node and
 *   this process used from the first post to the last settlement, per job posted, beside the
 *   `accord job submit` processes (cli_processes) and the whole machine (machine: sandboxes too);
 *   on a 2-core machine, 110 × machine / 2 is the least wall time the burst can take;
 * - cli_help_ms, cli_status_ms: the CLI's start-up (`accord --help`; `accord job status <id>`
 *   against this chain), median whole-process wall time of 5 runs after one warm-up.
 *
 * Env: BENCH_REALCHAIN_BATCHES (10), BENCH_REALCHAIN_CLI_JOBS (10), BENCH_REALCHAIN_SINGLES (5), BENCH_REALCHAIN_BLOCK_S (2),
 * BENCH_REALCHAIN_TIMEOUT_S (900: jobs not settled by then count as not succeeded),
 * BENCH_REALCHAIN_DAEMON_NODE_OPTIONS (node options for the five daemons only, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`; see realchain-parties.ts), BENCH_REALCHAIN_CLI_NODE_OPTIONS (the same
 * for the `accord job submit` processes).
 *
 * The daemons and the requester poll at their own defaults (realchain-parties.ts), not at the
 * test harness's faster intervals.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getMarketEvents, JOB_STATES } from "../../client/src/chain/index.ts";
import { submitJobs } from "../../client/src/actions/submitJobs.ts";
import { waitForResult } from "../../client/src/actions/waitForResult.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../devnet/accounts.ts";
import { registerProvider, spawnProvider, type ProviderProcess } from "../../test/provider/harness.ts";
import { startDevnet } from "../../test/devnet.ts";
import { daemonEnv, defaultRequester } from "./realchain-parties.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const ACCORD = join(ROOT, "client", "bin", "accord.js");
const ECHO = join(ROOT, "client", "fixtures", "wasm", "echo.wasm");
const BATCHES = Number(process.env.BENCH_REALCHAIN_BATCHES ?? 10);
const BATCH = 10;
const CLI_JOBS = Number(process.env.BENCH_REALCHAIN_CLI_JOBS ?? 10);
const SINGLES = Number(process.env.BENCH_REALCHAIN_SINGLES ?? 5);
const BLOCK_S = Number(process.env.BENCH_REALCHAIN_BLOCK_S ?? 2);
const TIMEOUT_S = Number(process.env.BENCH_REALCHAIN_TIMEOUT_S ?? 900);
const PROVIDERS = 5;
const REPLICAS = 3;
const MAX_PRICE = 100_000n; // 0.1 tUSD (6 decimals), above the daemons' default asks for these jobs
const LIMITS = { fuel: 10_000_000, memoryPages: 32, wallClockMs: 10_000 };
const CLI_RUNS = 5;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

type Proc = { code: number | null; stdout: string; stderr: string; wallMs: number };
function run(args: string[], env: Record<string, string>, cwd?: string): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr, wallMs: performance.now() - t0 }));
  });
}

/**
 * CPU time a process has used so far (user + system), in ms, from /proc/<pid>/stat; clock ticks
 * are 100 a second on Linux (USER_HZ, fixed by the kernel's ABI whatever CONFIG_HZ is).
 */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/**
 * CPU time the whole machine has been busy (every core, every process: the daemons' sandbox
 * processes and the CLI processes too, which the per-process figures leave out), in ms, from
 * /proc/stat's first line (user nice system idle iowait irq softirq steal, in 1/100 s).
 */
function machineBusyMs(): number {
  const f = cpuLine();
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * 10;
}

/** CPU time the hypervisor gave other guests while this machine wanted it (steal), in ms: a noisy neighbour slows every figure here. */
function stealMs(): number {
  return cpuLine()[7]! * 10;
}

function cpuLine(): number[] {
  try {
    return readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return [0, 0, 0, 0, 0, 0, 0, 0];
  }
}

/**
 * CPU time of this process's children that have ended (cutime + cstime): during the burst, the
 * `accord job submit` processes, the only children that end before it does.
 */
function reapedChildrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Sum of a counter over every label set in a Prometheus text exposition. */
function counterTotal(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  return total;
}

const work = mkdtempSync(join(tmpdir(), "accord-bench-realchain-"));
// The market's parameters as deployed (ignition/modules/parameters.ts): a job short of k bids is
// open for 10 minutes, not the 1 minute the test devnet uses to keep tests short. At 1 minute the
// burst's last jobs, reached by busy providers after ~50 s, expired while they bid.
const net = await startDevnet({ engine: "anvil", blockTime: BLOCK_S, parameters: { fillTimeout: 600 } });
const daemons: ProviderProcess[] = [];
const requester = defaultRequester(net, DEV_ROLES.requesters[0]);
try {
  const keys = DEV_ACCOUNTS.slice(DEV_ROLES.providers[0], DEV_ROLES.providers[0] + PROVIDERS);
  await Promise.all(keys.map((k) => registerProvider(net.chain.rpcUrl, net.deployment.jobMarket, k.privateKey)));
  const env = daemonEnv("BENCH_REALCHAIN_DAEMON_NODE_OPTIONS");
  daemons.push(...(await Promise.all(keys.map((k) => spawnProvider({ rpcUrl: net.chain.rpcUrl, market: net.deployment.jobMarket, privateKey: k.privateKey, env })))));
  const providerAddresses = new Set(keys.map((k) => privateKeyToAccount(k.privateKey).address.toLowerCase()));
  const echo = new Uint8Array(readFileSync(ECHO));
  const d = net.deployment;
  const config = join(work, "accord.json");
  writeFileSync(config, JSON.stringify({ rpcUrl: d.rpcUrl, chainId: d.chainId, jobMarket: d.jobMarket, token: d.token, startBlock: d.startBlock }));
  const cliKey: Hex = DEV_ACCOUNTS[DEV_ROLES.requesters[1]]!.privateKey;
  const cliEnv = { ACCORD_CONFIG: config, ACCORD_PRIVATE_KEY: cliKey };
  const cliOptions = process.env.BENCH_REALCHAIN_CLI_NODE_OPTIONS;
  const submitEnv = cliOptions ? { ...cliEnv, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${cliOptions}`.trim() } : cliEnv;

  const startBlock = await net.publicClient.getBlockNumber();
  // Where the CPU goes during the burst: on 2 cores it bounds how fast 110 jobs can be verified.
  const cpuAt = () => ({
    providers: daemons.reduce((n, dmn) => n + processCpuMs(dmn.process.pid), 0),
    chain: processCpuMs(net.chain.process.pid),
    requester: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    machine: machineBusyMs(),
    steal: stealMs(),
    cli: reapedChildrenCpuMs(),
  });
  const cpu0 = cpuAt();
  const t0 = performance.now();
  console.log(`anvil, ${BLOCK_S} s blocks, ${PROVIDERS} providers: posting ${BATCHES} batches of ${BATCH} and ${CLI_JOBS} jobs from separate CLI processes`);
  const expected = new Map<bigint, string>(); // jobId -> the stdout the job must give
  const batches = Promise.all(
    Array.from({ length: BATCHES }, async (_, b) => {
      const specs = Array.from({ length: BATCH }, (_, i) => ({
        module: echo, stdin: new TextEncoder().encode(`batch ${b} job ${i}\n`), limits: LIMITS, replicas: REPLICAS, maxPrice: MAX_PRICE,
      }));
      const { results } = await submitJobs(requester, { jobs: specs });
      results.forEach((r, i) => {
        if (r.ok) expected.set(r.job.jobId, `batch ${b} job ${i}\n`);
        else console.log(`  batch ${b} job ${i} was refused: ${r.error.shortMessage}`);
      });
    }),
  );
  const cliRuns = Promise.all(
    Array.from({ length: CLI_JOBS }, async (_, i) => {
      const dir = join(work, `cli-${i}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "stdin.txt"), `cli job ${i}\n`);
      const r = await run([ACCORD, "job", "submit", ECHO, "--stdin", "stdin.txt", "--replicas", String(REPLICAS), "--max-price", "0.1", "--fuel", String(LIMITS.fuel),
        "--memory-pages", String(LIMITS.memoryPages), "--out", "out", "--timeout", String(TIMEOUT_S)], submitEnv, dir);
      const jobId = /job (\d+)/i.exec(r.stdout + r.stderr)?.[1];
      let stdout = "";
      try {
        stdout = readFileSync(join(dir, "out", "stdout"), "utf8");
      } catch {
        // no result written
      }
      return { i, code: r.code, jobId: jobId === undefined ? undefined : BigInt(jobId), ok: r.code === 0 && stdout === `cli job ${i}\n`, tail: (r.stderr || r.stdout).slice(-400) };
    }),
  );
  await batches;
  const postedBatched = expected.size;

  // Wait until every batched job is settled (or the time is up); the CLI processes wait for their own.
  const settled = new Map<bigint, { state: number; block: bigint }>();
  let from = startBlock;
  const deadline = performance.now() + TIMEOUT_S * 1000;
  let cliDone: Awaited<typeof cliRuns> | undefined;
  void cliRuns.then((r) => (cliDone = r));
  while (performance.now() < deadline) {
    const head = await net.publicClient.getBlockNumber();
    if (head >= from) {
      for (const ev of await getMarketEvents(net.publicClient, { address: d.jobMarket, fromBlock: from, toBlock: head, events: ["JobSettled"] })) {
        settled.set(ev.args.jobId, { state: ev.args.state, block: ev.blockNumber });
      }
      from = head + 1n;
    }
    const cliIds = (cliDone ?? []).map((c) => c.jobId).filter((x): x is bigint => x !== undefined);
    if (cliDone && [...expected.keys(), ...cliIds].every((id) => settled.has(id))) break;
    await sleep(1_000);
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu1 = cpuAt();
  // The CLI processes were given the same timeout; they end by themselves.
  const cliResults = await cliRuns;

  // Post block of each job, from JobPosted.
  const head = await net.publicClient.getBlockNumber();
  const postedAt = new Map<bigint, bigint>();
  // Each job's post, the first block of each of its steps (which step a burst's queue holds jobs
  // at), and per block the jobs posted, bids placed, jobs awarded and settled (printed).
  const firstAt = new Map<string, bigint>();
  const perBlock = new Map<bigint, number[]>();
  const STEPS = ["JobPosted", "BidPlaced", "JobAwarded", "JobSettled"] as const;
  for (const ev of await getMarketEvents(net.publicClient, { address: d.jobMarket, fromBlock: startBlock, toBlock: head, events: [...STEPS] })) {
    if (ev.eventName === "JobPosted") postedAt.set(ev.args.jobId, ev.blockNumber);
    const key = `${ev.eventName} ${ev.args.jobId}`;
    if (!firstAt.has(key)) firstAt.set(key, ev.blockNumber);
    const row = perBlock.get(ev.blockNumber) ?? [0, 0, 0, 0];
    row[STEPS.indexOf(ev.eventName)]! += 1;
    perBlock.set(ev.blockNumber, row);
  }
  console.log(`  per block from the first (posted/bids/awarded/settled): ${[...perBlock].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([b, r]) => `${b - startBlock}:${r.join("/")}`).join(" ")}`);
  const firstPost = [...postedAt.values()].reduce((a, b) => (a < b ? a : b), head);
  const burstPhase = (name: string, ids: bigint[]) => median(ids.flatMap((id) => (firstAt.has(`${name} ${id}`) ? [Number(firstAt.get(`${name} ${id}`)! - postedAt.get(id)!)] : [])));

  // The batched jobs' outputs, fetched and verified through the SDK.
  let batchedOk = 0;
  await Promise.all(
    [...expected].map(async ([jobId, want]) => {
      if (settled.get(jobId)?.state !== JOB_STATES.indexOf("Succeeded")) return;
      try {
        const r = await waitForResult(requester, { jobId, timeoutMs: 60_000 });
        if (new TextDecoder().decode(r.stdout) === want) batchedOk++;
        else console.log(`  job ${jobId}: unexpected output`);
      } catch (err) {
        console.log(`  job ${jobId}: result not fetched: ${(err as Error).message.split("\n")[0]}`);
      }
    }),
  );
  // Why jobs did not succeed: their final state, and what the providers logged about them.
  const failed = [...expected.keys()].filter((id) => settled.get(id)?.state !== JOB_STATES.indexOf("Succeeded"));
  const byState = new Map<string, number>();
  for (const id of failed) {
    const state = settled.get(id)?.state;
    const name = state === undefined ? "not settled" : (JOB_STATES[state] ?? String(state));
    byState.set(name, (byState.get(name) ?? 0) + 1);
  }
  if (failed.length) console.log(`  batched jobs not succeeded, by state: ${[...byState].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  for (const id of failed.slice(0, 5)) {
    const said = new Set<string>();
    daemons.forEach((dmn, i) => {
      for (const l of dmn.logs) if (l.jobId === id.toString()) said.add(`p${i} ${String(l.event ?? "")} ${String(l.msg)}${l.rule ? ` (${String(l.rule)})` : ""}${l.err ? `: ${String((l.err as { message?: string }).message ?? l.err).split("\n")[0]}` : ""}`);
    });
    console.log(`  job ${id}: ${[...said].slice(0, 12).join(" | ") || "no provider logged it"}`);
  }
  const logDir = mkdtempSync(join(tmpdir(), "accord-realchain-logs-"));
  daemons.forEach((dmn, i) => writeFileSync(join(logDir, `provider-${i}.jsonl`), dmn.logs.map((l) => JSON.stringify(l)).join("\n")));
  console.log(`  the providers' logs: ${logDir}`);
  const cliOk = cliResults.filter((c) => c.ok).length;
  for (const c of cliResults) if (!c.ok) console.log(`  CLI job ${c.i} (job ${c.jobId ?? "not posted"}) exit ${c.code}: ${c.tail.trim().split("\n").slice(-2).join(" | ")}`);
  const posted = postedBatched + CLI_JOBS;
  const succeededIds = [...expected.keys(), ...cliResults.map((c) => c.jobId).filter((x): x is bigint => x !== undefined)].filter((id) => settled.get(id)?.state === JOB_STATES.indexOf("Succeeded"));
  const blocksToVerified = succeededIds.map((id) => Number(settled.get(id)!.block - (postedAt.get(id) ?? settled.get(id)!.block)));
  const lastSettled = succeededIds.length ? succeededIds.map((id) => settled.get(id)!.block).reduce((a, b) => (a > b ? a : b)) : startBlock;

  // Reverted provider transactions, from the receipts of every block of the run.
  let reverted = 0, providerTxs = 0;
  for (let n = startBlock; n <= head; n++) {
    const block = await net.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      if (!providerAddresses.has(tx.from.toLowerCase())) continue;
      providerTxs++;
      const receipt = await net.publicClient.getTransactionReceipt({ hash: tx.hash });
      if (receipt.status === "reverted") reverted++;
    }
  }
  let txErrors = 0, racesLost = 0;
  for (const dmn of daemons) {
    const text = await (await fetch(`${dmn.info.metricsUrl.replace(/\/$/, "")}/metrics`)).text();
    txErrors += counterTotal(text, "accord_provider_transaction_errors_total");
    racesLost += counterTotal(text, "accord_provider_races_lost_total");
  }

  // Single jobs, one after another on the quiet market: the latency of one job, step by step.
  const singles: Array<{ total: number; bid: number; award: number; reveal: number }> = [];
  for (let i = 0; i < SINGLES; i++) {
    const spec = { module: echo, stdin: new TextEncoder().encode(`single ${i}\n`), limits: LIMITS, replicas: REPLICAS, maxPrice: MAX_PRICE };
    const { results } = await submitJobs(requester, { jobs: [spec] });
    const r = results[0]!;
    if (!r.ok) {
      console.log(`  single job ${i} was refused: ${r.error.shortMessage}`);
      continue;
    }
    const jobId = r.job.jobId;
    try {
      const got = await waitForResult(requester, { jobId, timeoutMs: 120_000 });
      if (new TextDecoder().decode(got.stdout) !== `single ${i}\n`) throw new Error("unexpected output");
    } catch (err) {
      console.log(`  single job ${i} (job ${jobId}): ${(err as Error).message.split("\n")[0]}`);
      continue;
    }
    const events = await getMarketEvents(net.publicClient, { address: d.jobMarket, fromBlock: r.job.blockNumber, toBlock: await net.publicClient.getBlockNumber(), jobId });
    const at = (name: string) => Number((events.find((e) => e.eventName === name)?.blockNumber ?? r.job.blockNumber) - r.job.blockNumber);
    const settledAt = events.find((e) => e.eventName === "JobSettled");
    if (!settledAt || (settledAt.args as { state: number }).state !== JOB_STATES.indexOf("Succeeded")) continue;
    singles.push({ total: at("JobSettled"), bid: at("BidPlaced"), award: at("JobAwarded"), reveal: at("RevealOpened") });
  }

  // CLI start-up against this chain.
  const statusArgs = [ACCORD, "job", "status", String(succeededIds[0] ?? [...expected.keys()][0] ?? 1n)];
  const cliTime = async (args: string[], env: Record<string, string>) => {
    await run(args, env);
    const walls: number[] = [];
    for (let i = 0; i < CLI_RUNS; i++) {
      const r = await run(args, env);
      if (r.code !== 0) throw new Error(`${args.slice(1).join(" ")}: exit ${r.code}\n${r.stderr}`);
      walls.push(r.wallMs);
    }
    return Math.round(median(walls));
  };
  const cliHelp = await cliTime([ACCORD, "--help"], {});
  const cliStatus = await cliTime(statusArgs, cliEnv);

  const result = {
    chain: `anvil, ${BLOCK_S} s blocks`,
    providers: PROVIDERS,
    jobs_posted: posted,
    jobs_batched: postedBatched,
    jobs_cli: CLI_JOBS,
    jobs_succeeded_verified: batchedOk + cliOk,
    succeeded_ratio: Number(((batchedOk + cliOk) / Math.max(1, BATCHES * BATCH + CLI_JOBS)).toFixed(4)),
    reverted_provider_txs: reverted,
    provider_txs: providerTxs,
    transaction_errors_total: txErrors,
    // Bids and pushes mined after another party moved the job: refused inside their batch, no fault.
    races_lost_total: racesLost,
    median_blocks_to_verified: median(blocksToVerified),
    max_blocks_to_verified: blocksToVerified.length ? Math.max(...blocksToVerified) : null,
    // How many jobs took each number of blocks: whether the median is set by every job or by a queue's tail.
    blocks_to_verified_histogram: Object.fromEntries([...blocksToVerified.reduce((m, b) => m.set(b, (m.get(b) ?? 0) + 1), new Map<number, number>())].sort((a, b) => a[0] - b[0])),
    // The burst's batched and CLI jobs apart (the CLI's are posted later, by processes that start under load), and the step its jobs wait at.
    median_blocks_to_verified_batched: median(succeededIds.filter((id) => expected.has(id)).map((id) => Number(settled.get(id)!.block - postedAt.get(id)!))),
    median_blocks_to_verified_cli: median(succeededIds.filter((id) => !expected.has(id)).map((id) => Number(settled.get(id)!.block - postedAt.get(id)!))),
    // Blocks after the first post at which the jobs were posted: how much of a burst the chain let through at once.
    post_blocks_histogram: Object.fromEntries([...[...postedAt.values()].reduce((m, b) => m.set(Number(b - firstPost), (m.get(Number(b - firstPost)) ?? 0) + 1), new Map<number, number>())].sort((a, b) => a[0] - b[0])),
    burst_phases: { first_bid: burstPhase("BidPlaced", succeededIds), award: burstPhase("JobAwarded", succeededIds), settled: median(blocksToVerified) },
    median_blocks_to_verified_one_at_a_time: median(singles.map((x) => x.total)),
    one_at_a_time_jobs: singles.length,
    one_at_a_time_phases: {
      first_bid: median(singles.map((x) => x.bid)),
      award: median(singles.map((x) => x.award)),
      reveal_open: median(singles.map((x) => x.reveal)),
      settled: median(singles.map((x) => x.total)),
    },
    jobs_per_second: Number((succeededIds.length / wallS).toFixed(3)),
    // CPU used from the first post to the last settlement (the CLI processes not counted), per job posted.
    burst_cpu_ms_per_job: {
      providers: Math.round((cpu1.providers - cpu0.providers) / posted),
      chain: Math.round((cpu1.chain - cpu0.chain) / posted),
      requester_sdk: Math.round((cpu1.requester - cpu0.requester) / posted),
      // The 10 `accord job submit` processes, from start to exit.
      cli_processes: Math.round((cpu1.cli - cpu0.cli) / posted),
      // Everything the machine ran, sandbox and CLI processes included.
      machine: Math.round((cpu1.machine - cpu0.machine) / posted),
    },
    // CPU the hypervisor took for other guests during the burst, over the burst's wall time on every core.
    burst_steal_ratio: Number(((cpu1.steal - cpu0.steal) / (wallS * 1000 * availableParallelism())).toFixed(3)),
    wall_s: Number(wallS.toFixed(1)),
    blocks: Number(lastSettled - startBlock),
    cli_help_ms: cliHelp,
    cli_status_ms: cliStatus,
    cores: availableParallelism(),
    load_average_1m: Number(loadavg()[0]!.toFixed(2)),
    measured_at: new Date().toISOString(),
  };
  console.table({
    "succeeded ratio (target 1.0)": result.succeeded_ratio,
    "reverted provider txs (target 0)": `${reverted} of ${providerTxs}`,
    "median blocks to verified, 110 at once (target <= 4)": result.median_blocks_to_verified,
    "median blocks to verified, one at a time": result.median_blocks_to_verified_one_at_a_time,
    "  of which: first bid / award / reveal open": `${result.one_at_a_time_phases.first_bid} / ${result.one_at_a_time_phases.award} / ${result.one_at_a_time_phases.reveal_open}`,
    "jobs per second": result.jobs_per_second,
    "burst CPU ms a job: providers / chain / requester": `${result.burst_cpu_ms_per_job.providers} / ${result.burst_cpu_ms_per_job.chain} / ${result.burst_cpu_ms_per_job.requester_sdk}`,
    "  the CLI processes / the whole machine": `${result.burst_cpu_ms_per_job.cli_processes} / ${result.burst_cpu_ms_per_job.machine}`,
    "accord --help ms": cliHelp,
    "accord job status ms": cliStatus,
  });
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "realchain.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log("wrote bench/results/realchain.json");
} finally {
  await Promise.all(daemons.map((dmn) => dmn.kill()));
  await requester.close();
  await net.stop();
  rmSync(work, { recursive: true, force: true });
}

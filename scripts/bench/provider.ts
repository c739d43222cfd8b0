// One provider daemon (a child process, as an operator runs it) under a stream of small k=1 jobs
// on a Hardhat chain: jobs handled per second, time from award to reveal (median, p95), and the
// daemon's resident memory at the start and the end. Prints a table and writes
// bench/results/provider.json. Run with `npm run bench:provider` (BENCH_PROVIDER_JOBS to change
// the count, BENCH_PROVIDER_IN_FLIGHT for how many jobs the requester keeps outstanding).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { ContractRevertedError, getMarketEvents, JOB_STATES, readJob } from "../../client/src/chain/index.ts";
import { Journal } from "../../provider-node/src/journal/journal.ts";
import { PROVIDER_KEYS, Requester, registerProvider, spawnProvider, startTestChain } from "../../test/provider/harness.ts";

const JOBS = Number(process.env.BENCH_PROVIDER_JOBS ?? 200);
const IN_FLIGHT = Number(process.env.BENCH_PROVIDER_IN_FLIGHT ?? 16);
const WORKERS = 2;

async function rssMiB(metricsUrl: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const m = /process_resident_memory_bytes (\d+)/.exec(text);
  if (!m) throw new Error("the provider's /metrics has no resident memory figure");
  return Number(m[1]) / 1024 / 1024;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))]!;

// Hardhat mines a block per transaction and moves its clock at least 1 s per block, so under a
// stream of jobs chain time runs far ahead of the wall clock: windows of an hour keep the
// deadlines about the provider, not about the devnet's clock.
const WINDOW_S = 3_600;
const t = await startTestChain({ fillTimeout: WINDOW_S });
const key = PROVIDER_KEYS[0]!;
let provider: Awaited<ReturnType<typeof spawnProvider>> | undefined;
let requester: Requester | undefined;
try {
  await registerProvider(t.rpcUrl, t.deployment.jobMarket, key.privateKey, 10_000n);
  provider = await spawnProvider({
    rpcUrl: t.rpcUrl,
    market: t.deployment.jobMarket,
    privateKey: key.privateKey,
    args: ["--workers", String(WORKERS), "--limit", `maxQueuedJobsPerWorker=${IN_FLIGHT}`],
    env: { ACCORD_LOG_LEVEL: "warn" },
  });
  requester = await Requester.create(t);
  await requester.connect(provider.info.multiaddrs);
  await sleep(1_000); // let the daemon settle before the first figure
  const rssStart = await rssMiB(provider.info.metricsUrl);

  const started = performance.now();
  const pending = new Set<bigint>();
  const states = new Map<string, number>();
  let posted = 0;
  const reap = async () => {
    for (const jobId of [...pending]) {
      // A settled job's record is reused by a later one, after which it reads as JobNotFound.
      const info = await readJob(t.publicClient, t.deployment.jobMarket, jobId).catch((err) => {
        if (err instanceof ContractRevertedError && err.errorName === "JobNotFound") return { terminal: true };
        throw err;
      });
      if (info.terminal) pending.delete(jobId);
    }
  };
  while (posted < JOBS || pending.size) {
    while (posted < JOBS && pending.size < IN_FLIGHT) {
      pending.add(await requester.postJob({ replicas: 1, quorum: 1, commitWindow: WINDOW_S, revealWindow: WINDOW_S, stdin: new TextEncoder().encode(`job ${posted}`) }));
      posted += 1;
    }
    await sleep(100);
    await reap();
    if (performance.now() - started > 20 * 60_000) throw new Error(`gave up after 20 minutes with ${pending.size} jobs unsettled`);
  }
  const seconds = (performance.now() - started) / 1000;
  const events = await getMarketEvents(t.publicClient, { address: t.deployment.jobMarket, fromBlock: BigInt(t.deployment.startBlock), toBlock: await t.publicClient.getBlockNumber() });
  for (const ev of events) {
    if (ev.eventName !== "JobSettled") continue;
    const state = JOB_STATES[Number((ev.args as { state: number }).state)]!;
    states.set(state, (states.get(state) ?? 0) + 1);
  }
  const rssEnd = await rssMiB(provider.info.metricsUrl);

  const journal = new Journal(join(provider.dataDir, "journal.sqlite"), { readOnly: true });
  const latencies = journal
    .recent(JOBS * 2)
    .filter((r) => r.awardedAtMs && r.revealedAtMs)
    .map((r) => r.revealedAtMs! - r.awardedAtMs!)
    .sort((a, b) => a - b);
  journal.close();
  if (latencies.length === 0) throw new Error("the provider revealed no job");

  const result = {
    jobs: JOBS,
    succeeded: states.get("Succeeded") ?? 0,
    outcomes: Object.fromEntries(states),
    workers: WORKERS,
    requester_in_flight: IN_FLIGHT,
    seconds: Number(seconds.toFixed(2)),
    jobs_per_second: Number((JOBS / seconds).toFixed(2)),
    award_to_reveal_median_ms: Math.round(quantile(latencies, 0.5)),
    award_to_reveal_p95_ms: Math.round(quantile(latencies, 0.95)),
    rss_mib_start: Number(rssStart.toFixed(1)),
    rss_mib_end: Number(rssEnd.toFixed(1)),
    measured_at: new Date().toISOString(),
  };
  console.table({
    "jobs (succeeded)": `${result.jobs} (${result.succeeded})`,
    "jobs per second": result.jobs_per_second,
    "award→reveal median (ms)": result.award_to_reveal_median_ms,
    "award→reveal p95 (ms)": result.award_to_reveal_p95_ms,
    "RSS start (MiB)": result.rss_mib_start,
    "RSS end (MiB)": result.rss_mib_end,
  });
  const dir = join(import.meta.dirname, "..", "..", "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "provider.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote bench/results/provider.json`);
} finally {
  // The daemon's own log, for when a figure looks wrong (it is not part of the results).
  if (provider) writeFileSync(join(tmpdir(), "accord-bench-provider.log"), provider.logs.map((l) => JSON.stringify(l)).join("\n"));
  await provider?.kill();
  if (provider) rmSync(provider.dataDir, { recursive: true, force: true });
  await requester?.stop();
  await t.stop();
}

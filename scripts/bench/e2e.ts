/**
 * End-to-end requester benchmark (`npm run bench:e2e`): the time from `submitJob` to a verified
 * result (decrypted, CID checked against the on-chain consensus) for a trivial job with 3
 * replicas (quorum 2), run by 3 provider daemons as child processes on a local Hardhat chain.
 * Twice: with automine (a block per transaction) and with a block every second.
 * Prints a table and writes bench/results/e2e.json. BENCH_E2E_JOBS overrides the 20 jobs per mode.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { submitJob } from "../../client/src/actions/submitJob.ts";
import { waitForResult } from "../../client/src/actions/waitForResult.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../devnet/accounts.ts";
import { registerProvider, spawnProvider, type ProviderProcess } from "../../test/provider/harness.ts";
import { startDevnet } from "../../test/devnet.ts";

const JOBS = Number(process.env.BENCH_E2E_JOBS ?? 20);
const REPLICAS = 3;
const QUORUM = 2;
const BLOCK_INTERVAL_MS = 1_000;
/** One job never takes this long on a healthy devnet; past it the run is a failure, not a sample. */
const JOB_TIMEOUT_MS = 120_000;
const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");
const LIMITS = { fuel: 10_000_000, memoryPages: 32, wallClockMs: 10_000 };

type Sample = { totalMs: number; postedMs: number; awardedMs: number; settledMs: number; resultMs: number };

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

async function main() {
  const module = new Uint8Array(await (await import("node:fs/promises")).readFile(join(ROOT, "client/fixtures/wasm/echo.wasm")));
  const net = await startDevnet({ parameters: { collateralRatioBps: 10_000, protocolFeeBps: 0 } });
  const daemons: ProviderProcess[] = [];
  const client = net.requester(DEV_ROLES.requesters[2]);
  try {
    const keys = DEV_ACCOUNTS.slice(DEV_ROLES.providers[0], DEV_ROLES.providers[0] + REPLICAS);
    await Promise.all(keys.map((k) => registerProvider(net.chain.rpcUrl, net.deployment.jobMarket, k.privateKey)));
    daemons.push(...(await Promise.all(keys.map((k) => spawnProvider({ rpcUrl: net.chain.rpcUrl, market: net.deployment.jobMarket, privateKey: k.privateKey, env: { ACCORD_LOG_LEVEL: "warn" } })))));
    await client.getNode();

    const run = async (label: string): Promise<Sample[]> => {
      const samples: Sample[] = [];
      // One warm-up job: first-use costs (worker start, connections) are not what this measures.
      for (let i = -1; i < JOBS; i++) {
        const t0 = performance.now();
        let awarded = 0;
        let settled = 0;
        const posted = await submitJob(client, { module, stdin: new TextEncoder().encode(`job ${label} ${i}`), limits: LIMITS, nonce: `${label}-${i}`, replicas: REPLICAS, quorum: QUORUM, maxPrice: 100_000n });
        const postedAt = performance.now();
        await waitForResult(client, {
          jobId: posted.jobId,
          fromBlock: posted.blockNumber,
          timeoutMs: JOB_TIMEOUT_MS,
          onEvent: (e) => {
            if (e.type === "awarded") awarded = performance.now();
            if (e.type === "settled") settled = performance.now();
          },
        });
        const t1 = performance.now();
        if (i >= 0) samples.push({ totalMs: t1 - t0, postedMs: postedAt - t0, awardedMs: awarded - postedAt, settledMs: settled - awarded, resultMs: t1 - settled });
        process.stderr.write(`\r${label}: ${i + 1}/${JOBS}`);
      }
      process.stderr.write("\n");
      return samples;
    };

    const automine = await run("automine");
    await net.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
    await net.publicClient.request({ method: "evm_setIntervalMining" as never, params: [BLOCK_INTERVAL_MS] as never });
    const block1s = await run("block1s");

    const row = (name: string, s: Sample[]) => {
      const m = (k: keyof Sample) => quantile(s.map((x) => x[k]), 0.5);
      return { mode: name, jobs: s.length, median_ms: Math.round(m("totalMs")), p95_ms: Math.round(quantile(s.map((x) => x.totalMs), 0.95)), submit_median_ms: Math.round(m("postedMs")), to_award_median_ms: Math.round(m("awardedMs")), to_settle_median_ms: Math.round(m("settledMs")), fetch_verify_median_ms: Math.round(m("resultMs")) };
    };
    const rows = [row("automine", automine), row("1 s blocks", block1s)];
    console.log(`\nsubmitJob → verified result, trivial job, ${REPLICAS} replicas (quorum ${QUORUM}), ${JOBS} jobs per mode\n`);
    console.table(rows);
    const result = {
      automine_median_ms: rows[0]!.median_ms,
      automine_p95_ms: rows[0]!.p95_ms,
      block1s_median_ms: rows[1]!.median_ms,
      block1s_p95_ms: rows[1]!.p95_ms,
      jobs_per_mode: JOBS,
      replicas: REPLICAS,
      quorum: QUORUM,
      target_automine_median_ms: 1_500,
      phases: rows,
      samples: { automine, block1s },
      measured_at: new Date().toISOString(),
    };
    await mkdir(join(ROOT, "bench/results"), { recursive: true });
    await writeFile(join(ROOT, "bench/results/e2e.json"), JSON.stringify(result, (_, v) => (typeof v === "number" ? Math.round(v * 10) / 10 : v), 2) + "\n");
    console.log("wrote bench/results/e2e.json");
  } finally {
    await Promise.all(daemons.map((d) => d.kill()));
    await client.close();
    await net.stop();
  }
}

await main();
process.exit(0);

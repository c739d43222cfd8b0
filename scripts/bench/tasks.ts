/**
 * `npm run bench:tasks`: a bag of small tasks through runTasks (the SDK behind `accord run`), on
 * anvil mining a block every 2 s with five `accord-provider` daemons at their default settings,
 * three replicas a task (issue #18). Each task is echo.wasm with its own argument; a result counts
 * only when it was verified against the on-chain consensus and shows that argument.
 *
 * Figures (bench/results/tasks.json, these keys only):
 * - tasks_verified: tasks whose verified result came back (target: all of them);
 * - tasks_per_second: tasks_verified over the wall time from the start of the run (the shared
 *   upload and the first post included) to the last verified result (target >= 10 on anvil);
 * - gas_per_task: gas of every block of the run (the requester's posts and claims, the providers'
 *   bids, commits, reveals and settlements) over tasks_verified;
 * - requester_cpu_ms_per_task: CPU time of this process (the requester: preparing, posting,
 *   following, fetching, decrypting, verifying; the daemons and anvil are other processes) per
 *   verified task;
 * - reposted_tasks: tasks that needed more than one post.
 *
 * Env: BENCH_TASKS_N (1000), BENCH_TASKS_BLOCK_S (2; 0 = anvil mining a block per transaction, as
 * the automine devnet does), BENCH_TASKS_MAX_ACTIVE (256), BENCH_TASKS_TIMEOUT_S (1800),
 * BENCH_TASKS_DAEMON_NODE_OPTIONS (node options for the daemons only, e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`).
 *
 * The daemons and the requester poll at their own defaults (realchain-parties.ts), not at the
 * test harness's faster intervals.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { signerOf } from "../../client/src/actions/chain/marketChain.ts";
import { approve } from "../../client/src/actions/chain/postJob.ts";
import { parseTaskSpec } from "../../client/src/tasks/spec.ts";
import { runTasks } from "../../client/src/tasks/run.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../devnet/accounts.ts";
import { registerProvider, spawnProvider, type ProviderProcess } from "../../test/provider/harness.ts";
import { startDevnet } from "../../test/devnet.ts";
import { daemonEnv, defaultRequester } from "./realchain-parties.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const N = Number(process.env.BENCH_TASKS_N ?? 1000);
const BLOCK_S = Number(process.env.BENCH_TASKS_BLOCK_S ?? 2);
const MAX_ACTIVE = Number(process.env.BENCH_TASKS_MAX_ACTIVE ?? 256);
const TIMEOUT_S = Number(process.env.BENCH_TASKS_TIMEOUT_S ?? 1800);
const PROVIDERS = 5;
const REPLICAS = 3;
const MAX_PRICE = "0.1"; // tUSD per replica, above the daemons' default asks for these tasks

const work = mkdtempSync(join(tmpdir(), "accord-bench-tasks-"));
const net = await startDevnet({ engine: "anvil", ...(BLOCK_S > 0 ? { blockTime: BLOCK_S } : {}) });
const daemons: ProviderProcess[] = [];
const requester = defaultRequester(net, DEV_ROLES.requesters[0]);
try {
  const keys = DEV_ACCOUNTS.slice(DEV_ROLES.providers[0], DEV_ROLES.providers[0] + PROVIDERS);
  await Promise.all(keys.map((k) => registerProvider(net.chain.rpcUrl, net.deployment.jobMarket, k.privateKey)));
  const env = daemonEnv("BENCH_TASKS_DAEMON_NODE_OPTIONS");
  daemons.push(...(await Promise.all(keys.map((k) => spawnProvider({ rpcUrl: net.chain.rpcUrl, market: net.deployment.jobMarket, privateKey: k.privateKey, env })))));
  copyFileSync(join(ROOT, "client", "fixtures", "wasm", "echo.wasm"), join(work, "echo.wasm"));
  const bag = await parseTaskSpec(
    {
      module: "echo.wasm",
      limits: { fuel: 10_000_000, memoryPages: 32, wallClockMs: 10_000 },
      trust: { replicas: REPLICAS },
      price: { maxPrice: MAX_PRICE },
      generate: { range: { from: 1, to: N } },
      task: { name: "t{value}", args: ["{value}"] },
    },
    { baseDir: work },
  );
  await requester.getNode();
  // A requester with a bag approves its escrow once: posts from an allowance share blocks,
  // where a permit per batch makes each batch wait for the previous one's block.
  await approve(requester, signerOf(requester, "Approving"), 10n ** 12n, "Approving the bag's escrow", {});

  const startBlock = await net.publicClient.getBlockNumber({ cacheTime: 0 });
  console.log(`anvil, ${BLOCK_S ? `${BLOCK_S} s blocks` : "a block per transaction"}, ${PROVIDERS} providers: ${N} tasks of ${REPLICAS} replicas, at most ${MAX_ACTIVE} unsettled`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let verified = 0;
  let lastVerifiedMs = 0;
  let wrong = 0;
  const failed: string[] = [];
  let reposted = 0;
  const signal = AbortSignal.timeout(TIMEOUT_S * 1000);
  try {
    for await (const item of runTasks(requester, bag, {
      state: join(work, "state.json"),
      maxActive: MAX_ACTIVE,
      signal,
      onProgress: (p) => {
        reposted = p.reposted;
        process.stderr.write(`\r${p.done}/${p.total} done · ${p.running} running · ${p.waitingForBids} waiting for bids · ${p.queued} queued · ${p.failed} failed · ${p.tasksPerSecond.toFixed(2)}/s   `);
      },
      onEvent: (ev) => {
        if (ev.type === "retry" || ev.type === "failed" || ev.type === "warning") process.stderr.write(`\n${ev.type}: ${"task" in ev ? `${ev.task}: ` : ""}${"reason" in ev ? ev.reason : ev.message}\n`);
      },
    })) {
      if (!item.ok) {
        failed.push(item.task);
        continue;
      }
      if (new TextDecoder().decode(item.stderr).includes(`arg 1=${item.task.slice(1)}\n`)) {
        verified++;
        lastVerifiedMs = performance.now();
      } else wrong++;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
    console.log(`\ntimed out after ${TIMEOUT_S} s`);
  }
  process.stderr.write("\n");
  const cpu = process.cpuUsage(cpu0);
  const wallS = ((lastVerifiedMs || performance.now()) - t0) / 1000;

  // Gas of every block of the run: all parties' transactions (only this run uses the chain).
  const head = await net.publicClient.getBlockNumber({ cacheTime: 0 });
  let gas = 0n;
  for (let n = startBlock + 1n; n <= head; n++) gas += (await net.publicClient.getBlock({ blockNumber: n })).gasUsed;

  const result = {
    tasks_verified: verified,
    tasks_per_second: Number((verified / wallS).toFixed(3)),
    gas_per_task: verified ? Number(gas / BigInt(verified)) : null,
    requester_cpu_ms_per_task: verified ? Number(((cpu.user + cpu.system) / 1000 / verified).toFixed(2)) : null,
    reposted_tasks: reposted,
  };
  console.table({
    [`tasks verified (target ${N} of ${N})`]: `${verified} of ${N}${wrong ? ` (${wrong} with a wrong output)` : ""}${failed.length ? `, ${failed.length} given up` : ""}`,
    "tasks per second (target >= 10 on anvil)": result.tasks_per_second,
    "gas per task": result.gas_per_task,
    "requester CPU ms per task": result.requester_cpu_ms_per_task,
    "re-posted tasks": reposted,
    "wall s": Number(wallS.toFixed(1)),
    "cores / load (1 min)": `${availableParallelism()} / ${loadavg()[0]!.toFixed(2)}`,
  });
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "tasks.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log("wrote bench/results/tasks.json");
} finally {
  await Promise.all(daemons.map((dmn) => dmn.kill()));
  await requester.close();
  await net.stop();
  rmSync(work, { recursive: true, force: true });
}

// Issue #15 item 2: many jobs at once. On a chain with 1 s blocks (interval mining), three
// provider daemons whose queues take one job each (one worker, one queued job) face a batch of
// ten 2-replica jobs posted in one transaction: twenty replicas, far more than any daemon can
// hold at once. Each daemon must keep the jobs it cannot take yet and bid for them as its queue
// frees (before, it declined them for good: jobs got 0-2 bids and most expired). Then a job
// that cannot fill (4 replicas, 3 providers) must be expired and its escrow credited back with
// nobody calling `claim` by hand.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { registerProvider, spawnProvider, type ProviderProcess } from "./harness.ts";
import { submitJobs } from "../../client/src/actions/submitJobs.ts";
import { submitJob } from "../../client/src/actions/submitJob.ts";
import { waitForResult } from "../../client/src/actions/waitForResult.ts";
import { getBalance } from "../../client/src/actions/getBalance.ts";
import { readJob, readProvider } from "../../client/src/chain/index.ts";
import type { AccordClient } from "../../client/src/client.ts";
import { increaseTime, startDevnet, type Devnet } from "../devnet.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

const FIXTURES = join(import.meta.dirname, "../../client/fixtures/wasm");
const LIMITS = { fuel: 20_000_000, memoryPages: 64, wallClockMs: 10_000 };
const BATCH = 10;
// The market's fill timeout: how long a job short of bids stays open past its pool window. Long,
// so that on a busy machine (slow daemons, one slot each) the last jobs of the batch still wait
// for a slot rather than expire; the second test moves the chain's clock past it.
const FILL_TIMEOUT = 600;

let net: Devnet;
let client: AccordClient;
let echo: Uint8Array;
const daemons: ProviderProcess[] = [];

beforeAll(async () => {
  net = await startDevnet({ parameters: { collateralRatioBps: 10_000, fillTimeout: FILL_TIMEOUT } });
  const keys = DEV_ACCOUNTS.slice(DEV_ROLES.providers[0], DEV_ROLES.providers[0] + 3);
  await Promise.all(keys.map((k) => registerProvider(net.chain.rpcUrl, net.deployment.jobMarket, k.privateKey)));
  const args = ["--workers", "1", "--limit", "maxQueuedJobsPerWorker=1"];
  daemons.push(...(await Promise.all(keys.map((k) => spawnProvider({ rpcUrl: net.chain.rpcUrl, market: net.deployment.jobMarket, privateKey: k.privateKey, args })))));
  client = net.requester();
  await client.getNode();
  echo = new Uint8Array(await readFile(join(FIXTURES, "echo.wasm")));
  await net.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
  await net.publicClient.request({ method: "evm_setIntervalMining" as never, params: [1_000] as never });
}, 120_000);

afterAll(async () => {
  if (process.env.MANY_JOBS_DEBUG) for (const d of daemons) console.log(d.logs.map((l) => `${l.msg} ${l.jobId ?? ""} ${l.reason ?? l.err ?? ""}`).join("\n"));
  await Promise.all(daemons.map((d) => d.kill()));
  await client?.close();
  await net?.stop();
});

describe("a batch larger than any provider's queue", { timeout: 240_000 }, () => {
  it("fills across the providers and every job gives its verified result", async () => {
    const jobs = Array.from({ length: BATCH }, (_, i) => ({ module: echo, stdin: new TextEncoder().encode(`batch job ${i}`), nonce: `batch-${i}`, limits: LIMITS, replicas: 2, maxPrice: 500_000n }));
    const { results, blockNumber } = await submitJobs(client, { jobs });
    expect(results.map((r) => r.ok)).toEqual(Array(BATCH).fill(true));
    const ids = results.map((r) => (r.ok ? r.job.jobId : -1n));

    const outcomes = await Promise.allSettled(ids.map((jobId) => waitForResult(client, { jobId, fromBlock: blockNumber, timeoutMs: 200_000 })));
    const failures = outcomes.flatMap((o, i) => (o.status === "rejected" ? [`job ${ids[i]}: ${String(o.reason).split("\n")[0]}`] : []));
    expect(failures).toEqual([]);
    outcomes.forEach((o, i) => expect(new TextDecoder().decode((o as PromiseFulfilledResult<{ stdout: Uint8Array }>).value.stdout)).toBe(`batch job ${i}`));

    // The case under test happened: jobs waited for a slot and were bid for once it freed; none
    // was turned away for capacity.
    const logs = daemons.flatMap((d) => d.logs);
    expect(logs.filter((l) => l.event === LOG_EVENTS.bidAfterWaiting).length).toBeGreaterThan(0);
    expect(logs.filter((l) => l.event === LOG_EVENTS.declined && l.rule === "capacity")).toEqual([]);
  });
});

describe("a job that can no longer fill", { timeout: 180_000 }, () => {
  it("is expired by the daemons that bid for it, and the requester's escrow comes back with no manual step", async () => {
    const before = await getBalance(client);
    // Four replicas, three providers: the book never fills and the quorum (4) is never met.
    const posted = await submitJob(client, { module: echo, stdin: new TextEncoder().encode("never fills"), nonce: "never-fills", limits: LIMITS, replicas: 4, quorum: 4, maxPrice: 500_000n });
    expect((await getBalance(client)).wallet).toBe(before.wallet - posted.escrow);
    // Every daemon bid (each holds collateral in it)...
    await waitFor(async () => (await readJob(net.publicClient, net.deployment.jobMarket, posted.jobId)).bids === 3, 60_000, "three bids");
    // ...and the fill timeout passes. Nobody calls claim, award or waitForResult: the daemons move it on.
    await increaseTime(net.publicClient, FILL_TIMEOUT + 1);
    await waitFor(async () => (await readJob(net.publicClient, net.deployment.jobMarket, posted.jobId)).state === "Expired", 90_000, "the job to expire");

    const after = await getBalance(client);
    expect(after.wallet + after.withdrawable).toBe(before.wallet + before.withdrawable);
    for (const d of daemons) expect((await readProvider(net.publicClient, net.deployment.jobMarket, d.info.address)).locked).toBe(0n);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

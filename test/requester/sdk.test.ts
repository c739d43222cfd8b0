// The requester SDK against Hardhat's chain, with providers driven from the test (real sandbox,
// real content exchange, real commit-reveal) so each can be told to misbehave.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { erc20Abi } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { createSandboxPool, type SandboxPool } from "../../client/src/sandbox/index.ts";
import { cancelJob } from "../../client/src/actions/chain/cancelJob.ts";
import { dryRun } from "../../client/src/actions/dryRun.ts";
import { NoBidsError, ResultUnavailableError } from "../../client/src/actions/errors.ts";
import { explainNoBids } from "../../client/src/actions/explainNoBids.ts";
import { getBalance } from "../../client/src/actions/getBalance.ts";
import { getJob } from "../../client/src/actions/getJob.ts";
import { listJobs } from "../../client/src/actions/listJobs.ts";
import { submitJob } from "../../client/src/actions/submitJob.ts";
import { waitForResult } from "../../client/src/actions/waitForResult.ts";
import { withdraw } from "../../client/src/actions/chain/withdraw.ts";
import type { WatchJobEvent } from "../../client/src/actions/watchJob.ts";
import type { AccordClient } from "../../client/src/client.ts";
import { increaseTime, startDevnet, type Devnet } from "../devnet.ts";
import { ScriptedProvider, type Behaviour } from "./scriptedProvider.ts";

const FIXTURES = join(import.meta.dirname, "../../client/fixtures/wasm");
const TOKEN = 1_000_000n; // 6 decimals
const LIMITS = { fuel: 50_000_000, memoryPages: 64, wallClockMs: 10_000 };

let net: Devnet;
let pool: SandboxPool;
let client: AccordClient;
let sortWasm: Uint8Array;
const providers: Record<string, ScriptedProvider> = {};

const only = (...names: string[]) => {
  for (const [name, p] of Object.entries(providers)) {
    p.active = names.includes(name);
    p.revealDelayMs = 0;
  }
};

beforeAll(async () => {
  net = await startDevnet();
  pool = createSandboxPool({ size: 1 });
  const roles: [string, number, Behaviour][] = [
    ["a", 4, "honest"],
    ["b", 5, "honest"],
    ["dissenter", 6, "dissents"],
    ["liar", 7, "serves-wrong-result"],
  ];
  for (const [name, index, behaviour] of roles) {
    const p = new ScriptedProvider(
      { rpcUrl: net.chain.rpcUrl, deployment: net.deployment, privateKey: DEV_ACCOUNTS[index]!.privateKey, dataDir: net.dir, pool, behaviour, price: TOKEN / 10n, askPrice: TOKEN, stake: 100n * TOKEN },
      net.publicClient,
    );
    await p.start();
    providers[name] = p;
  }
  client = net.requester();
  sortWasm = new Uint8Array(await readFile(join(FIXTURES, "sort.wasm")));
});

afterEach(() => {
  // A scripted provider's failure would otherwise show only as a job that never settles.
  for (const [name, p] of Object.entries(providers)) if (p.errors.length) console.error(`provider ${name}:`, p.errors.splice(0).map(String));
});

afterAll(async () => {
  await Promise.all(Object.values(providers).map((p) => p.stop()));
  await client?.close();
  await pool?.close();
  await net?.stop();
});

const job = (extra: Record<string, unknown> = {}) => ({
  module: sortWasm,
  inputs: { "data.txt": new TextEncoder().encode("pear\napple\nfig\n") },
  limits: LIMITS,
  maxPrice: TOKEN / 2n,
  ...extra,
});

describe("submitJob → waitForResult", () => {
  it("runs a 1-of-1 job to a verified result that equals the local dry run", async () => {
    only("a");
    const dry = await dryRun(client, job());
    const events: WatchJobEvent["type"][] = [];
    const uploads: string[] = [];
    const posted = await submitJob(client, { ...job(), replicas: 1, quorum: 1, onProgress: (p) => p.step === "upload" && uploads.push(p.name) });
    expect(uploads).toEqual(["module", "input data.txt"]);
    expect(posted.manifestCid.toString()).toBe(dry.manifestCid.toString());

    const result = await waitForResult(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, onEvent: (e) => events.push(e.type), timeoutMs: 30_000 });
    expect(result.resultCid).toBe(dry.resultCid.toString());
    expect(result.exitCode).toBe(0);
    expect(new TextDecoder().decode(result.files["sorted.txt"])).toBe("apple\nfig\npear\n");
    expect(result.provider).toBe(providers.a.address);
    expect(events).toEqual(["posted", "bid", "awarded", "committed", "revealOpened", "revealed", "replicaSettled", "settled"]);
  });

  it("settles a 2-of-3 job on the two agreeing results and slashes the dissenter", async () => {
    only("a", "b", "dissenter");
    const posted = await submitJob(client, { ...job(), replicas: 3, quorum: 2 });
    const result = await waitForResult(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, timeoutMs: 30_000 });
    expect(new TextDecoder().decode(result.files["sorted.txt"])).toBe("apple\nfig\npear\n");
    expect([providers.a.address, providers.b.address]).toContain(result.provider);
    const outcomes = Object.fromEntries(result.job.outcomes.map((o) => [o.provider, o.outcome]));
    expect(outcomes[providers.dissenter.address]).toBe("Dissented");
    expect(outcomes[providers.a.address]).toBe("Agreed");

    // The history comes from events and agrees with the live view.
    const seen = await getJob(client, { jobId: posted.jobId });
    expect(seen.state).toBe("Succeeded");
    expect(seen.reveals).toHaveLength(3);
    const mine = await listJobs(client);
    expect(mine.map((j) => j.jobId)).toContain(posted.jobId);
  });

  it("refuses a sealed result whose CID is not the consensus, and falls back to an honest provider", async () => {
    only("liar");
    const alone = await submitJob(client, { ...job(), replicas: 1 });
    const err = await waitForResult(client, { jobId: alone.jobId, fromBlock: alone.blockNumber, timeoutMs: 30_000, fetchTimeoutMs: 3_000 }).catch((e) => e);

    expect(providers.liar.errors).toEqual([]);
    expect(err).toBeInstanceOf(ResultUnavailableError);
    expect(err.attempts[0].error).toMatch(/but the quorum agreed on/);

    only("liar", "a");
    providers.a.revealDelayMs = 500; // the liar reveals first, so it is asked first
    const both = await submitJob(client, { ...job(), replicas: 2, quorum: 2 });
    const fetches: string[] = [];
    const result = await waitForResult(client, { jobId: both.jobId, fromBlock: both.blockNumber, timeoutMs: 30_000, onFetch: (f) => fetches.push(`${f.provider}:${f.outcome}`) });
    expect(fetches).toEqual([`${providers.liar.address}:failed`, `${providers.a.address}:ok`]);
    expect(new TextDecoder().decode(result.files["sorted.txt"])).toBe("apple\nfig\npear\n");
  });
});

describe("one requester posting several jobs at once", () => {
  it("posts each with its own permit, none failing on another's permit nonce, and cancels them all", async () => {
    only();
    const before = await getBalance(client);
    // Blocks every 500 ms, so each post is still pending while the next signs its permit (on
    // automine each is mined the moment it is sent, and the race never shows).
    await net.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
    await net.publicClient.request({ method: "evm_setIntervalMining" as never, params: [500] as never });
    const posted = await Promise.all([1, 2, 3].map((n) => submitJob(client, { ...job({ nonce: `concurrent-${n}` }), replicas: 1, payment: "permit" }))).finally(async () => {
      await net.publicClient.request({ method: "evm_setIntervalMining" as never, params: [0] as never });
      await net.publicClient.request({ method: "evm_setAutomine" as never, params: [true] as never });
    });
    expect(new Set(posted.map((p) => p.jobId)).size).toBe(3);
    for (const p of posted) expect((await cancelJob(client, { jobId: p.jobId })).refunded).toBe(p.escrow);
    const after = await getBalance(client);
    expect(after.wallet + after.withdrawable).toBe(before.wallet + before.withdrawable);
  });
});

describe("jobs that get no bids", () => {
  it("explains that the price is below every ask, and that the reputation is out of reach", async () => {
    only();
    const cheap = await submitJob(client, { ...job({ maxPrice: 1n }), replicas: 1 });
    const d1 = await explainNoBids(client, { jobId: cheap.jobId });
    expect(d1.reasons.map((r) => r.code)).toContain("price-below-ask");
    await cancelJob(client, { jobId: cheap.jobId });

    const picky = await submitJob(client, { ...job(), replicas: 1, minReputation: 10_000 });
    await increaseTime(net.publicClient, 61); // past the fill timeout
    const err = await waitForResult(client, { jobId: picky.jobId, fromBlock: picky.blockNumber, timeoutMs: 30_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(NoBidsError);
    expect(err.diagnosis.reasons.map((r: { code: string }) => r.code)).toEqual(["reputation-too-low"]);
    expect(err.message).toMatch(/reputation below the job's minimum of 10000 bps/);
  });

  it("cancels an open job and refunds the whole escrow", async () => {
    only();
    const before = await getBalance(client);
    const posted = await submitJob(client, { ...job(), replicas: 3, quorum: 2 });
    const cancelled = await cancelJob(client, { jobId: posted.jobId });
    expect(cancelled.refunded).toBe(posted.escrow);
    expect((await getJob(client, { jobId: posted.jobId })).state).toBe("Cancelled");
    const w = await withdraw(client);
    expect(w.amount).toBe(before.withdrawable + posted.escrow);
    const wallet = await net.publicClient.readContract({ address: net.deployment.token, abi: erc20Abi, functionName: "balanceOf", args: [client.account!.address] });
    expect(wallet).toBe(before.wallet + before.withdrawable);
  });
});

// One provider daemon that reaches the chain through a TCP proxy the test cuts and restores,
// and that is sent manifests it must refuse. It must decline what it cannot run (and say why),
// stay healthy, ride out the outage, and lose nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { Journal } from "../../provider-node/src/journal/journal.ts";
import { PROVIDER_KEYS, Requester, registerProvider, spawnProvider, startTestChain, type ProviderProcess, type TestChain } from "./harness.ts";
import { startTcpProxy, type TcpProxy } from "./proxy.ts";
import { runCli } from "./cli.ts";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

let t: TestChain;
let requester: Requester;
let proxy: TcpProxy;
let provider: ProviderProcess;
const key = PROVIDER_KEYS[7]!;

beforeAll(async () => {
  t = await startTestChain();
  await registerProvider(t.rpcUrl, t.deployment.jobMarket, key.privateKey);
  proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(t.rpcUrl).port) });
  provider = await spawnProvider({
    rpcUrl: proxy.url,
    market: t.deployment.jobMarket,
    privateKey: key.privateKey,
    // Tight own limits so "over its limits" is easy to ask for; a short RPC timeout so a cut is felt at once.
    args: ["--limit", "maxJobMemoryPages=128", "--limit", "rpcRequestTimeoutMs=2000", "--limit", "rpcRetryMaxMs=1000"],
  });
  requester = await Requester.create(t, DEV_ACCOUNTS[2]!);
  await requester.connect(provider.info.multiaddrs);
});

afterAll(async () => {

  await provider?.kill();
  await proxy?.close();
  await requester?.stop();
  await t?.stop();
});

const declined = (jobId: bigint) => (l: Record<string, unknown>) => l.event === LOG_EVENTS.declined && l.jobId === jobId.toString();

describe("a provider under bad input and a failing RPC", { timeout: 120_000 }, () => {
  it("declines invalid, too big and over-limit manifests with a logged reason and stays healthy", async () => {
    const notJson = await requester.postJob({ replicas: 1, quorum: 1, rawManifest: new TextEncoder().encode("{ this is not a manifest") });
    const tooBig = await requester.postJob({ replicas: 1, quorum: 1, rawManifest: new Uint8Array(300 * 1024).fill(0x20) });
    const overLimits = await requester.postJob({ replicas: 1, quorum: 1, limits: { memoryPages: 1024 } });
    const badModule = await requester.postJob({ replicas: 1, quorum: 1, module: "badimport.wasm" });

    // The rule is the event's key; the reason, written for the requester, must still name the problem.
    expect(await provider.waitForLog(declined(notJson))).toMatchObject({ rule: "content", reason: expect.stringMatching(/JSON/) });
    expect(await provider.waitForLog(declined(tooBig))).toMatchObject({ rule: "content", reason: expect.stringMatching(/bytes/) });
    expect(await provider.waitForLog(declined(overLimits))).toMatchObject({ rule: "limits", reason: expect.stringMatching(/maxJobMemoryPages 128/) });
    expect(await provider.waitForLog(declined(badModule))).toMatchObject({ rule: "content", reason: expect.stringMatching(/import|module/i) });
    const health = await (await fetch(`${provider.info.metricsUrl}/health`)).json();
    expect(health.status).toBe("ok");
    const metrics = await (await fetch(`${provider.info.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/accord_provider_declines_total\{rule="content"\} 3/);
    expect(metrics).toMatch(/accord_provider_declines_total\{rule="limits"\} 1/);
  });

  it("a chain RPC that drops for a while delays the node but loses nothing", async () => {
    await proxy.down();
    const jobId = await requester.postJob({ replicas: 1, quorum: 1, stdin: new TextEncoder().encode("through the outage") });
    await sleep(3_000);
    const during = await (await fetch(`${provider.info.metricsUrl}/health`)).json();
    expect(during).toMatchObject({ status: "degraded", rpc: "down" });
    await proxy.up();

    // Cut it again the moment the node has won, so the run's commit and reveal meet the outage.
    await provider.waitForLog((l) => l.event === LOG_EVENTS.won && l.jobId === jobId.toString());
    await proxy.down();
    await sleep(2_500);
    await proxy.up();

    const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed", "Expired"], 60_000);
    expect(info.state).toBe("Succeeded");
    const { replicas, reveals } = await requester.outcome(jobId);
    expect(replicas.get(provider.info.address.toLowerCase())).toMatchObject({ outcome: 0 });
    const bundle = await requester.fetchResult(jobId, reveals[0]!);
    expect(new TextDecoder().decode(bundle.stdout)).toBe("through the outage");

    await provider.waitForLog((l) => l.event === LOG_EVENTS.settled && l.jobId === jobId.toString());
    const journal = new Journal(join(provider.dataDir, "journal.sqlite"), { readOnly: true });
    expect(journal.get(jobId)).toMatchObject({ phase: "settled", outcome: "Agreed" });
    journal.close();
    const metrics = await (await fetch(`${provider.info.metricsUrl}/metrics`)).text();
    expect(Number(/accord_provider_rpc_retries_total (\d+)/.exec(metrics)![1])).toBeGreaterThan(0);
  });
});

describe("the accord-provider CLI", { timeout: 120_000 }, () => {
  it("inits a 0600 key without printing it, then registers, stakes, reports, unstakes and withdraws", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "accord-cli-"));
    const init = await runCli(["init", "--json", "--data-dir", dataDir, "--rpc-url", t.rpcUrl, "--market", t.deployment.jobMarket]);
    expect(init.code).toBe(0);
    const { address, keyFile } = JSON.parse(init.stdout);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(init.stdout + init.stderr).not.toContain(readFileSync(keyFile, "utf8").trim().slice(2));
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect((await runCli(["init", "--data-dir", dataDir])).stderr).toMatch(/never overwrites a key/);

    // A funded dev account drives the chain commands; rpcUrl and market come from the config file init wrote.
    const env = { ACCORD_PRIVATE_KEY: DEV_ACCOUNTS[13]!.privateKey };
    const common = ["--json", "--data-dir", dataDir, "--key-from-env"];
    expect(JSON.parse((await runCli(["register", ...common, "--announce", "/ip4/127.0.0.1/tcp/4001"], env)).stdout)).toMatchObject({ result: "registered" });
    expect(JSON.parse((await runCli(["stake", "5", ...common], env)).stdout)).toMatchObject({ stake: "5000000" });
    const status = JSON.parse((await runCli(["status", ...common], env)).stdout);
    expect(status).toMatchObject({ registered: true, stake: "5000000", locked: "0", multiaddrs: ["/ip4/127.0.0.1/tcp/4001"], reputation: { score: 5000 } });
    expect(JSON.parse((await runCli(["unstake", "2", ...common], env)).stdout)).toMatchObject({ unbonding: "2000000" });
    expect(JSON.parse((await runCli(["withdraw", ...common], env)).stdout)).toMatchObject({ stake: "2000000" });

    const bad = await runCli(["stake", "lots", "--data-dir", dataDir, "--key-from-env"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/"lots" is not an amount[\s\S]*What to do:/);
    const noRpc = await runCli(["status", "--data-dir", mkdtempSync(join(tmpdir(), "accord-cli-"))]);
    expect(noRpc.stderr).toMatch(/rpcUrl.*not set[\s\S]*--rpc-url/);
  });
});

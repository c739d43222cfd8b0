// Issue #19: "a provider that cannot be reached at all says so at start and does not bid (it
// could not deliver)". On 127.0.0.1 a daemon told that private addresses do not count (as on
// the internet, ACCORD_PRIVATE_ADDRESSES=false) has no address peers can dial; the only other
// provider does not relay (no public address, relay "auto"), so it finds no relay either. It
// says so at start, in /health and in `accord-provider status`, and a job posted meanwhile is
// taken by the reachable provider alone.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getMarketEvents } from "../../client/src/chain/index.ts";
import { CLI, PROVIDER_KEYS, Requester, registerProvider, spawnProvider, startTestChain, type ProviderProcess, type TestChain } from "../provider/harness.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

const run = promisify(execFile);
let t: TestChain;
let requester: Requester;
let lonely: ProviderProcess;
let reachable: ProviderProcess;

beforeAll(async () => {
  t = await startTestChain();
  const market = t.deployment.jobMarket;
  await Promise.all(PROVIDER_KEYS.slice(0, 2).map((k) => registerProvider(t.rpcUrl, market, k.privateKey)));
  [lonely, reachable] = await Promise.all([
    spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: PROVIDER_KEYS[0]!.privateKey, env: { ACCORD_PRIVATE_ADDRESSES: "false" } }),
    spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: PROVIDER_KEYS[1]!.privateKey }),
  ]);
  requester = await Requester.create(t);
  await requester.connect(reachable.info.multiaddrs);
}, 180_000);

afterAll(async () => {
  await Promise.all([lonely, reachable].filter(Boolean).map((p) => p.kill()));
  await requester?.stop();
  await t?.stop();
});

describe("a provider nobody can reach", { timeout: 180_000 }, () => {
  it("says so at start, in /health and in status", async () => {
    // spawnProvider returns once the daemon printed its start line, which comes after its reachability settled.
    expect(lonely.logs.find((l) => l.event === LOG_EVENTS.unreachable)).toMatchObject({ level: 50 });
    expect(reachable.logs.find((l) => l.event === LOG_EVENTS.unreachable)).toBeUndefined();
    const health = (await (await fetch(`${lonely.info.metricsUrl}/health`)).json()) as { status: string; reachability: { status: string; relayServer: boolean; relay?: unknown } };
    expect(health.status).toBe("degraded");
    expect(health.reachability).toMatchObject({ status: "unreachable", relayServer: false });
    // It relays for nobody, so it shows no relay limits.
    expect(health.reachability.relay).toBeUndefined();
    const { stdout } = await run(process.execPath, [CLI, "status", "--data-dir", lonely.dataDir, "--rpc-url", t.rpcUrl, "--market", t.deployment.jobMarket]);
    expect(stdout).toContain("reachable   NO: no public address and no relay reservation; the node does not bid");
  });

  it("does not bid for a job posted while it cannot be reached; the reachable provider takes it", async () => {
    const jobId = await requester.postJob({ replicas: 1, quorum: 1, stdin: new TextEncoder().encode("who delivers?") });
    await lonely.waitForLog((l) => l.event === LOG_EVENTS.notBiddingUnreachable && l.jobId === String(jobId), 60_000);
    // Replicas are drawn from the bids once the pool window (2 s) has passed in chain time; on an
    // automining chain no block may come to pass it, so one is mined a little later.
    await reachable.waitForLog((l) => l.event === LOG_EVENTS.bidPlaced && l.jobId === String(jobId), 60_000);
    await t.increaseTime(3);
    const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed", "Expired"], 120_000);
    expect(info.state).toBe("Succeeded");
    const events = await getMarketEvents(t.publicClient, { address: t.deployment.jobMarket, fromBlock: BigInt(t.deployment.startBlock), toBlock: await t.publicClient.getBlockNumber({ cacheTime: 0 }), jobId });
    const bidders = new Set(events.filter((e) => e.eventName === "BidPlaced" || e.eventName === "Committed").map((e) => String((e.args as { provider: string }).provider).toLowerCase()));
    expect(bidders.has(reachable.info.address.toLowerCase())).toBe(true);
    expect(bidders.has(lonely.info.address.toLowerCase())).toBe(false);
  });
});

// A job whose content no peer serves when the provider first looks: the requester's node was
// slow to answer or connected after its job was posted (bench:realchain, 110 jobs posted at once
// on anvil: a third were declined for content by every provider on the first try). The provider
// must try again until the bid deadline, say why it has not bid to a requester that asks, and bid
// once the content can be fetched. A real daemon on Hardhat; the requester's node stays
// unconnected until the daemon has failed once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { askPeerDeclines, createAccordNode, type AccordNode } from "../../client/src/net/index.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";
import { PROVIDER_KEYS, Requester, registerProvider, spawnProvider, startTestChain, type ProviderProcess, type TestChain } from "./harness.ts";

let t: TestChain;
let requester: Requester;
let provider: ProviderProcess;
let asker: AccordNode;
let askerDir: string;

beforeAll(async () => {
  t = await startTestChain();
  const key = PROVIDER_KEYS[0]!;
  await registerProvider(t.rpcUrl, t.deployment.jobMarket, key.privateKey);
  provider = await spawnProvider({ rpcUrl: t.rpcUrl, market: t.deployment.jobMarket, privateKey: key.privateKey });
  // Not connected to anyone: the provider can find its content neither directly nor in the DHT.
  requester = await Requester.create(t);
  // Another requester's node, holding nothing of the job, asks the provider why it has not bid.
  askerDir = mkdtempSync(join(tmpdir(), "accord-asker-"));
  asker = await createAccordNode({ dataDir: askerDir });
  await asker.dial(provider.info.multiaddrs[0]!);
}, 120_000);

afterAll(async () => {
  await provider?.kill();
  await asker?.stop();
  if (askerDir) rmSync(askerDir, { recursive: true, force: true });
  await requester?.stop();
  await t?.stop();
});

describe("a job whose content cannot be fetched at first", { timeout: 180_000 }, () => {
  it("is tried again, not declined: the provider says why it waits, and bids once the requester's node is reachable", async () => {
    const jobId = await requester.postJob({ replicas: 1, quorum: 1, stdin: new TextEncoder().encode("late but here\n") });
    const retry = await provider.waitForLog((l) => l.event === LOG_EVENTS.contentRetry && l.jobId === jobId.toString(), 120_000);
    expect(retry.attempt).toBe(1);
    expect(provider.logs.some((l) => l.event === LOG_EVENTS.declined && l.jobId === jobId.toString())).toBe(false);

    const [reply] = await askPeerDeclines(asker, { jobId, peers: [{ peer: provider.info.peerId, target: provider.info.multiaddrs }] });
    expect(reply?.ok).toBe(true);
    if (!reply?.ok) return;
    expect(reply.answer.status).toBe("evaluating");
    expect(reply.answer.reasons[0]?.message).toMatch(/could not fetch the job's content yet.*tries again until the bid deadline/);

    await requester.connect(provider.info.multiaddrs);
    const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed", "Expired"], 150_000);
    expect(info.state).toBe("Succeeded");
    const { reveals } = await requester.outcome(jobId);
    const bundle = await requester.fetchResult(jobId, reveals[0]!);
    expect(new TextDecoder().decode(bundle.stdout)).toBe("late but here\n");
  });
});

// Escalation through the provider daemons (issue #13 item 4): four daemons take a unanimous k = 4
// job that allows a fifth replica, one of them with the wrong-result fault. Its dissent leaves no
// digest with the quorum, so the job escalates instead of ending NoConsensus; a fifth honest daemon,
// started once the first round is awarded (it replays the post, and the escalation if it came
// first), bids into the new round, and the job settles with the honest result and the faulty daemon
// slashed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getMarketEvents, readProvider } from "../../client/src/chain/index.ts";
import { settleEverything } from "../e2e/conservation.ts";
import { PROVIDER_KEYS, Requester, registerProvider, spawnProvider, startTestChain, type ProviderProcess, type TestChain } from "./harness.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

const AGREED = 0;
const DISSENTED = 1;

let t: TestChain;
let requester: Requester;
const providers: ProviderProcess[] = [];

beforeAll(async () => {
  t = await startTestChain();
  const market = t.deployment.jobMarket;
  await Promise.all(PROVIDER_KEYS.slice(0, 5).map((k) => registerProvider(t.rpcUrl, market, k.privateKey)));
  const started = await Promise.all(
    PROVIDER_KEYS.slice(0, 4).map((k, i) => spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: k.privateKey, args: i === 3 ? ["--fault", "wrong-result"] : [] })),
  );
  providers.push(...started);
  requester = await Requester.create(t);
  await requester.connect(providers.flatMap((p) => p.info.multiaddrs));
});

afterAll(async () => {
  await Promise.all(providers.map((p) => p.kill()));
  await requester?.stop();
  await t?.stop();
});

describe("provider daemons on an escalating unanimous job", { timeout: 180_000 }, () => {
  it("escalate past the faulty daemon's dissent: a fifth daemon is drawn, the honest result settles and the faulty one is slashed", async () => {
    const jobId = await requester.postJob({ replicas: 4, quorum: 4, maxReplicas: 5, stdin: new TextEncoder().encode("hello escalation") });
    await requester.waitForState(jobId, ["Committing", "Revealing", "Open", "Succeeded", "NoConsensus"]);
    // The fifth daemon replays the post (from the deployment's block) after the award, when it can no
    // longer bid on it, or after the escalation, when it can.
    const fifth = await spawnProvider({ rpcUrl: t.rpcUrl, market: t.deployment.jobMarket, privateKey: PROVIDER_KEYS[4]!.privateKey, env: { ACCORD_FROM_BLOCK: String(t.deployment.startBlock) } });
    providers.push(fifth);
    await requester.connect(fifth.info.multiaddrs);

    const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed", "Expired"], 150_000).catch((err) => {
      // What each daemon did about the job, so a failure says where the escalation stopped.
      for (const [i, p] of providers.entries()) console.error(`provider ${i}:`, p.logs.filter((l) => l.jobId !== undefined || Number(l.level) >= 40).slice(-15).map((l) => JSON.stringify(l)).join("\n"));
      throw err;
    });
    const events = await getMarketEvents(t.publicClient, { address: t.deployment.jobMarket, fromBlock: BigInt(t.deployment.startBlock), toBlock: await t.publicClient.getBlockNumber({ cacheTime: 0 }), jobId });
    const escalated = events.filter((e) => e.eventName === "JobEscalated").map((e) => e.args);
    expect(escalated).toEqual([{ jobId, round: 1, extra: 1, poolCloses: expect.any(BigInt) }]);
    expect(info.state).toBe("Succeeded");

    const { replicas, reveals } = await requester.outcome(jobId);
    const [a, b, c, wrong, fresh] = providers.map((p) => replicas.get(p.info.address.toLowerCase()));
    for (const honest of [a, b, c, fresh]) expect(honest).toMatchObject({ outcome: AGREED });
    expect(fresh!.paid).toBeGreaterThan(0n);
    expect(wrong).toMatchObject({ outcome: DISSENTED });
    expect(wrong!.slashed).toBeGreaterThan(0n);
    // The restitution of the fifth replica's cost came out of the faulty daemon's collateral.
    const restituted = events.find((e) => e.eventName === "Restituted")?.args as { amount: bigint } | undefined;
    expect(restituted?.amount).toBe(fresh!.paid);

    const bundle = await requester.fetchResult(jobId, reveals.find((r) => r.provider.toLowerCase() === fifth.info.address.toLowerCase())!);
    expect(new TextDecoder().decode(bundle.stdout)).toBe("hello escalation");
    await providers[3]!.waitForLog((l) => l.event === LOG_EVENTS.slashed);
    expect((await readProvider(t.publicClient, t.deployment.jobMarket, providers[3]!.info.address)).dissented).toBe(1);
  });

  it("leaves every token accounted for past the deadlines", async () => {
    await settleEverything({ client: t.publicClient, deployment: t.deployment, rpcUrl: t.rpcUrl });
  });
});

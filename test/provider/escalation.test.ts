// Escalation through the provider daemons (issue #13 item 4): four daemons take a unanimous k = 4
// job that allows a fifth replica, one of them with the wrong-result fault. Its dissent leaves no
// digest with the quorum, so the job escalates instead of ending NoConsensus; a fifth honest daemon,
// started once the first round is awarded (it replays the post, and the escalation if it came
// first), bids into the new round, and the job settles with the honest result and the faulty daemon
// slashed. Then a daemon that started after a job was posted, and so never saw its post, reads the
// post from the market's log when the job escalates and takes the new round (issue #13 leftovers).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getMarketEvents, readJob, readProvider } from "../../client/src/chain/index.ts";
import { settleEverything } from "../e2e/conservation.ts";
import { PROVIDER_KEYS, spawnProvider, startMarket, type ProviderProcess, type Requester, type TestChain, type TestMarket } from "./harness.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

const AGREED = 0;
const DISSENTED = 1;
const MISSED_REVEAL = 3;

let t: TestChain;
let requester: Requester;
let providers: ProviderProcess[];
let m: TestMarket | undefined;

beforeAll(async () => {
  // Eight registered, four running: the other four are the escalation's spares, started by the tests.
  m = await startMarket({
    daemons: PROVIDER_KEYS.slice(0, 4).map((k, i) => ({ privateKey: k.privateKey, args: i === 3 ? ["--fault", "wrong-result"] : [] })),
    registeredOnly: PROVIDER_KEYS.slice(4, 8),
  });
  ({ t, requester, providers } = m);
});

afterAll(() => m?.stop());

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

  it("a daemon started after the post, which never saw it, reads the post from the log at the escalation and takes the new round", async () => {
    // Only the three daemons of this job run: an honest one, one that never reveals, and later the late one.
    await Promise.all(providers.map((p) => p.kill()));
    const market = t.deployment.jobMarket;
    const [honest, silent] = await Promise.all([
      spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: PROVIDER_KEYS[5]!.privateKey }),
      spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: PROVIDER_KEYS[6]!.privateKey, args: ["--fault", "never-reveal"] }),
    ]);
    providers.push(honest, silent);
    await requester.connect([...honest.info.multiaddrs, ...silent.info.multiaddrs]);
    const revealWindow = 120;
    const jobId = await requester.postJob({ replicas: 2, quorum: 2, maxReplicas: 3, revealWindow, stdin: new TextEncoder().encode("hello late daemon") });
    await requester.waitForState(jobId, ["Revealing"]);
    await honest.waitForLog((l) => l.event === LOG_EVENTS.revealed && l.jobId === jobId.toString());

    // Started now, with no block to replay from, it follows the market from the head: past the post.
    // The job cannot escalate before the reveal deadline, which only the chain's clock moves past.
    const late = await spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: PROVIDER_KEYS[7]!.privateKey });
    providers.push(late);
    await requester.connect(late.info.multiaddrs);
    await t.increaseTime(revealWindow + 1);

    // The round's pool closes a moment after the escalation, but a chain that mines only on
    // transactions makes no block past that moment, and every award is estimated against the last
    // block: the test moves the clock past the close, as a live chain's next block would.
    await late.waitForLog((l) => l.event === LOG_EVENTS.bidPlaced && l.jobId === jobId.toString());
    const reopened = await readJob(t.publicClient, market, jobId);
    const head = await t.publicClient.getBlock({ blockTag: "latest" });
    if (reopened.state === "Open") await t.increaseTime(Math.max(1, Number(reopened.deadline - head.timestamp) + 1));

    const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed", "Expired"], 150_000).catch((err) => {
      for (const [name, p] of Object.entries({ honest, silent, late })) console.error(`${name}:`, p.logs.filter((l) => l.jobId !== undefined || Number(l.level) >= 40).slice(-60).map((l) => JSON.stringify(l)).join("\n"));
      throw err;
    });
    expect(info.state).toBe("Succeeded");
    // It never saw JobPosted: what it evaluated came from the log, which named the first round's two replicas.
    const adopted = await late.waitForLog((l) => l.event === LOG_EVENTS.escalated && l.jobId === jobId.toString());
    expect(adopted).toMatchObject({ round: 1, extra: 1, earlierReplicas: 2 });
    const { replicas } = await requester.outcome(jobId);
    expect(replicas.get(late.info.address.toLowerCase())).toMatchObject({ outcome: AGREED });
    expect(replicas.get(late.info.address.toLowerCase())!.paid).toBeGreaterThan(0n);
    expect(replicas.get(honest.info.address.toLowerCase())).toMatchObject({ outcome: AGREED });
    expect(replicas.get(silent.info.address.toLowerCase())).toMatchObject({ outcome: MISSED_REVEAL });
  }, 300_000);

  it("leaves every token accounted for past the deadlines", async () => {
    await settleEverything({ client: t.publicClient, deployment: t.deployment, rpcUrl: t.rpcUrl });
  });
});

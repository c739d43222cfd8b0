// Three provider daemons on a real chain: an honest 2-of-3 job gets paid, and a provider with
// the wrong-result fault is slashed while the job still succeeds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readProvider } from "../../client/src/chain/index.ts";
import { settleEverything } from "../e2e/conservation.ts";
import { PROVIDER_KEYS, startMarket, type ProviderProcess, type Requester, type TestChain, type TestMarket } from "./harness.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

let t: TestChain;
let requester: Requester;
let providers: ProviderProcess[];
let m: TestMarket | undefined;

beforeAll(async () => {
  m = await startMarket({ daemons: PROVIDER_KEYS.slice(0, 3).map((k, i) => ({ privateKey: k.privateKey, args: i === 2 ? ["--fault", "wrong-result"] : [] })) });
  ({ t, requester, providers } = m);
});

afterAll(() => m?.stop());

describe("provider daemons on a 2-of-3 job", { timeout: 120_000 }, () => {
  it("complete the job; honest ones are paid, the wrong one is slashed, the requester opens the result", async () => {
    const jobId = await requester.postJob({ replicas: 3, quorum: 2, stdin: new TextEncoder().encode("hello accord") });
    const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed", "Expired"]);
    expect(info.state).toBe("Succeeded");

    const { replicas, reveals } = await requester.outcome(jobId);
    const [a, b, wrong] = providers.map((p) => replicas.get(p.info.address.toLowerCase())!);
    expect(a).toMatchObject({ outcome: 0 }); // Agreed
    expect(b).toMatchObject({ outcome: 0 });
    expect(a!.paid).toBeGreaterThan(0n);
    expect(wrong).toMatchObject({ outcome: 1 }); // Dissented
    expect(wrong!.slashed).toBeGreaterThan(0n);

    const honest = reveals.find((r) => r.provider.toLowerCase() === providers[0]!.info.address.toLowerCase())!;
    const bundle = await requester.fetchResult(jobId, honest);
    expect(new TextDecoder().decode(bundle.stdout)).toBe("hello accord");

    const rep = await readProvider(t.publicClient, t.deployment.jobMarket, providers[2]!.info.address);
    expect(rep.dissented).toBe(1);
    // Each daemon saw its own settlement and counted it.
    await providers[2]!.waitForLog((l) => l.event === LOG_EVENTS.slashed);
    const metrics = await (await fetch(`${providers[0]!.info.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/accord_provider_reveals_total 1/);
    const health = await (await fetch(`${providers[0]!.info.metricsUrl}/health`)).json();
    expect(health).toMatchObject({ status: "ok", rpc: "up" });
  });

  it("leaves every token accounted for past the deadlines, and the wrong provider's reputation below a newcomer's", async () => {
    const [honest, wrong] = await Promise.all([providers[0]!, providers[2]!].map((p) => readProvider(t.publicClient, t.deployment.jobMarket, p.info.address)));
    expect(wrong!.score).toBeLessThan(5_000);
    // Reputation grows with the value paid for replicated agreement (docs/PROTOCOL.md, "Reputation"):
    // a bid of a few token units against a prior of minStake moves the score by less than a basis point.
    expect(honest!.agreedValue).toBeGreaterThan(0n);
    expect(honest!.score).toBeGreaterThanOrEqual(5_000);
    await settleEverything({ client: t.publicClient, deployment: t.deployment, rpcUrl: t.rpcUrl });
  });
});

// Crash and downtime on a real chain, with provider daemons as child processes. One 3-of-4 job
// with a bid window (so the test decides when it is awarded):
//  - D is killed after bidding and stays down through the whole job: slashed MissedCommit, and
//    after a restart it catches up on the blocks it missed and records the slash;
//  - C is killed between its commit and its reveal: restarted from its journal, it reveals with
//    the salt it wrote before committing, and is paid.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJob, readProvider } from "../../client/src/chain/index.ts";
import { Journal } from "../../provider-node/src/journal/journal.ts";
import { join } from "node:path";
import { settleEverything } from "../e2e/conservation.ts";
import { PROVIDER_KEYS, spawnProvider, startMarket, type DaemonSpec, type ProviderProcess, type Requester, type TestChain, type TestMarket } from "./harness.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

const COMMIT_WINDOW_S = 120;
let t: TestChain;
let requester: Requester;
let p: ProviderProcess[];
let m: TestMarket | undefined;
let jobId: bigint;

const keys = PROVIDER_KEYS.slice(3, 7);
// The two-phase path (bid, then commit after the award), where "after bidding, before committing"
// exists: with committed bids (the default for light jobs) the bid is the commit.
const daemon = (i: number): DaemonSpec => ({ privateKey: keys[i]!.privateKey, args: ["--bid-and-commit-max-fuel", "0"] });
const start = (i: number, dataDir?: string) => spawnProvider({ rpcUrl: t.rpcUrl, market: t.deployment.jobMarket, dataDir, ...daemon(i) });
const bidPlaced = (l: Record<string, unknown>) => l.event === LOG_EVENTS.bidPlaced && l.jobId === jobId.toString();

beforeAll(async () => {
  m = await startMarket({ daemons: keys.map((_, i) => daemon(i)) });
  ({ t, requester, providers: p } = m);
});

afterAll(() => m?.stop());

describe("provider restarts", { timeout: 120_000 }, () => {
  it("a provider killed between commit and reveal reveals after restart", async () => {
    jobId = await requester.postJob({ replicas: 4, quorum: 3, bidWindow: 30, commitWindow: COMMIT_WINDOW_S, stdin: new TextEncoder().encode("restart me") });
    await Promise.all(p.map((x) => x.waitForLog(bidPlaced)));
    await p[3]!.kill("SIGKILL"); // D: offline from here on

    await t.increaseTime(31); // bidding over: a live provider awards the job
    const committed = (l: Record<string, unknown>) => l.event === LOG_EVENTS.committed && l.jobId === jobId.toString();
    await p[2]!.waitForLog(committed);
    await p[2]!.kill("SIGKILL"); // C: dies holding a commitment it owes a reveal for
    const journalC = new Journal(join(p[2]!.dataDir, "journal.sqlite"));
    const rec = journalC.get(jobId)!;
    journalC.close();
    expect(rec.phase).toBe("committed");
    expect(rec.salt).toMatch(/^0x[0-9a-f]{64}$/);
    expect(rec.sealedCid).toBeTruthy();

    await Promise.all([p[0]!.waitForLog(committed), p[1]!.waitForLog(committed)]);
    await t.increaseTime(COMMIT_WINDOW_S + 1); // D never committed: the reveal phase opens at the deadline
    const revealed = (l: Record<string, unknown>) => l.event === LOG_EVENTS.revealed && l.jobId === jobId.toString();
    await Promise.all([p[0]!.waitForLog(revealed), p[1]!.waitForLog(revealed)]);
    expect((await readJob(t.publicClient, t.deployment.jobMarket, jobId)).state).toBe("Revealing");

    p[2] = await start(2, p[2]!.dataDir);
    await p[2].waitForLog(revealed);
    const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed"]);
    expect(info.state).toBe("Succeeded");
    const { replicas } = await requester.outcome(jobId);
    for (const x of p.slice(0, 3)) expect(replicas.get(x.info.address.toLowerCase())).toMatchObject({ outcome: 0 });
  });

  it("a provider offline through the whole job catches up and is slashed as the contract says", async () => {
    const { replicas } = await requester.outcome(jobId);
    const d = replicas.get(p[3]!.info.address.toLowerCase())!;
    expect(d.outcome).toBe(2); // MissedCommit
    expect(d.slashed).toBeGreaterThan(0n);

    const head = await t.publicClient.getBlockNumber();
    p[3] = await start(3, p[3]!.dataDir);
    await p[3].waitForLog((l) => l.event === LOG_EVENTS.slashed && l.jobId === jobId.toString() && l.outcome === "MissedCommit");
    // Caught up to where the chain was, and holds nothing in flight for the settled job.
    const deadline = Date.now() + 20_000;
    let health;
    do {
      health = await (await fetch(`${p[3].info.metricsUrl}/health`)).json();
    } while (BigInt(health.lastBlock ?? 0) < head && Date.now() < deadline);
    expect(BigInt(health.lastBlock)).toBeGreaterThanOrEqual(head);
    expect(health.jobsInFlight).toBe(0);
    const rep = await readProvider(t.publicClient, t.deployment.jobMarket, p[3].info.address);
    expect(rep.missed).toBe(1);
  });

  it("leaves every token accounted for, and nothing locked past the deadlines", async () => {
    await settleEverything({ client: t.publicClient, deployment: t.deployment, rpcUrl: t.rpcUrl });
  });
});

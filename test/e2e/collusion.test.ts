// The collusion demo of `npm start -- --fault 1=collude,2=collude` (issue #13, "How it is shown"),
// run for real: five provider daemons staked alike, two of them colluding (the same wrong result,
// bidding on every job), and the demo's own code (scripts/devnet/collusion.ts) posting unanimous
// jobs that escalate on dissent. No wrong result may be accepted, the colluders must end poorer and
// the honest providers not, and every token must stay accounted for.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERMINAL_STATES, type JobStateName } from "../../client/src/chain/index.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { COLLUDER_PRICE_ARGS, collusionPlan, runCollusionDemo, totalOf, type CollusionDemoResult, type DemoProvider } from "../../scripts/devnet/collusion.ts";
import { describeJob, describeOutcome } from "../../scripts/devnet/collusion-report.ts";
import { PROVIDER_KEYS, startMarket, type TestMarket } from "../provider/harness.ts";
import { settleEverything } from "./conservation.ts";

const COLLUDING = new Set([1, 2]);
const JOBS = 4;

let m: TestMarket | undefined;
let providers: DemoProvider[];
let result: CollusionDemoResult;

beforeAll(async () => {
  m = await startMarket({
    daemons: PROVIDER_KEYS.slice(0, 5).map((k, i) => ({ privateKey: k.privateKey, args: COLLUDING.has(i) ? ["--fault", "collude", ...COLLUDER_PRICE_ARGS] : [] })),
  });
  providers = m.providers.map((p, index) => ({ index, address: p.info.address, colluding: COLLUDING.has(index) }));
});

afterAll(() => m?.stop());

const colluderAddresses = () => new Set(providers.filter((p) => p.colluding).map((p) => p.address.toLowerCase()));

describe("collusionPlan", () => {
  it("makes colluders unable to fill a round and the cap reach more honest replicas than colluders, or says how many providers to run", () => {
    expect(collusionPlan(5, 1)).toEqual({ replicas: 3, quorum: 3, maxReplicas: 4 });
    expect(collusionPlan(5, 2)).toEqual({ replicas: 3, quorum: 3, maxReplicas: 5 });
    expect(collusionPlan(8, 3)).toEqual({ replicas: 4, quorum: 4, maxReplicas: 7 });
    expect(() => collusionPlan(3, 2)).toThrow("pass --providers 5");
    expect(() => collusionPlan(8, 4)).toThrow("the devnet runs at most 8");
    expect(() => collusionPlan(16, 8)).toThrow("collude with at most 7");
  });
});

describe("colluders holding 2 of 5 equal stakes, on unanimous jobs that escalate", { timeout: 900_000 }, () => {
  it("never get their wrong result accepted: every job ends with the dry run's result, each colluder drawn is slashed", async () => {
    // The harness's own requester is account 1; the demo posts from another so their nonces never meet.
    result = await runCollusionDemo({
      rpcUrl: m!.t.rpcUrl,
      deployment: m!.t.deployment,
      requesterKey: DEV_ACCOUNTS[DEV_ROLES.requesters[1]]!.privateKey,
      providers,
      dataDir: join(m!.t.dir, "collusion-requester"),
      jobs: JOBS,
    }).catch((err) => {
      for (const [i, p] of m!.providers.entries()) console.error(`provider ${i}:`, p.logs.filter((l) => l.jobId !== undefined || Number(l.level) >= 40).slice(-20).map((l) => JSON.stringify(l)).join("\n"));
      throw err;
    });
    // What `npm start` prints, so a failure shows the story.
    const report = [...result.jobs.flatMap((j) => describeJob(j, providers, result)), ...describeOutcome(result, providers)].join("\n");
    console.log(report);

    expect(result.plan).toEqual({ replicas: 3, quorum: 3, maxReplicas: 5 });
    expect(result.jobs).toHaveLength(JOBS);
    const colluders = colluderAddresses();
    for (const j of result.jobs) {
      expect(TERMINAL_STATES.has(j.state as JobStateName), `job ${j.jobId} is ${j.state}`).toBe(true);
      // Every honest provider runs, so each job reaches 3 honest replicas: the honest result wins every one.
      expect(j.state, report).toBe("Succeeded");
      expect(j.correct, report).toBe(true);
      expect(j.stdout).toBe(`collusion demo, job ${result.jobs.indexOf(j) + 1} of ${JOBS}: the honest answer\n`);
      const drawn = j.outcomes.filter((o) => colluders.has(o.provider.toLowerCase()));
      for (const o of drawn) expect(o, report).toMatchObject({ outcome: "Dissented", slashed: expect.any(BigInt) });
      for (const o of drawn) expect(o.slashed).toBeGreaterThan(0n);
      for (const o of j.outcomes.filter((x) => !colluders.has(x.provider.toLowerCase()))) expect(o, report).toMatchObject({ outcome: "Agreed", slashed: 0n });
      // A colluder's dissent is what escalates a unanimous job; without one it settles in its first round.
      expect(j.escalations > 0, report).toBe(drawn.length > 0);
      // The requester paid no more than for its first 3 replicas: the extra round came out of the colluders' collateral.
      if (j.escalations > 0) expect(j.restitution).toBeGreaterThan(0n);
    }
  });

  it("leaves the colluders poorer and the honest providers no poorer", () => {
    const drawnAnywhere = result.jobs.some((j) => j.outcomes.some((o) => colluderAddresses().has(o.provider.toLowerCase())));
    // Each job's first draw of 3 from 5 equal stakes misses both colluders with probability 1/10:
    // over 4 jobs they stay out of all of them once in 10,000 runs.
    expect(drawnAnywhere, "no colluder was drawn into any job (1 run in 10,000)").toBe(true);
    expect(totalOf(result.colluders.after)).toBeLessThan(totalOf(result.colluders.before));
    // Their loss is exactly what was slashed from them.
    const colluders = colluderAddresses();
    const slashed = result.jobs.flatMap((j) => j.outcomes).filter((o) => colluders.has(o.provider.toLowerCase())).reduce((n, o) => n + o.slashed, 0n);
    const paid = result.jobs.flatMap((j) => j.outcomes).filter((o) => colluders.has(o.provider.toLowerCase())).reduce((n, o) => n + o.paid, 0n);
    expect(paid).toBe(0n);
    expect(totalOf(result.colluders.before) - totalOf(result.colluders.after)).toBe(slashed);
    expect(totalOf(result.honest.after)).toBeGreaterThanOrEqual(totalOf(result.honest.before));
  });

  it("leaves every job terminal and every token accounted for", async () => {
    await settleEverything({ client: m!.t.publicClient, deployment: m!.t.deployment, rpcUrl: m!.t.rpcUrl });
  });
});

import { describe, expect, it } from "vitest";
import { BaseError } from "../errors.ts";
import { InvalidJobParametersError } from "../actions/errors.ts";
import { MAX_REPLICAS } from "../generated/limits.ts";
import { binomialHeld, chooseReplicas, DEFAULT_ADVERSARY_SHARE, outcomeOf, replicaOdds, replicasForConfidence } from "./confidence.ts";
import { ConfidenceUnreachableError, InvalidConfidenceError } from "./errors.ts";

describe("replicasForConfidence", () => {
  it("guards against colluders holding 10 % of the stake unless told otherwise", () => {
    expect(DEFAULT_ADVERSARY_SHARE).toBe(0.1);
    expect(replicasForConfidence({ confidence: 0.9999 })).toEqual(replicasForConfidence({ confidence: 0.9999, adversaryShare: 0.1 }));
  });

  it("99.99 % against 10 % takes 4 replicas that must all agree: P(wrong) 1e-4, no consensus 34 %", () => {
    const plan = replicasForConfidence({ confidence: 0.9999, adversaryShare: 0.1 });
    expect(plan).toMatchObject({ replicas: 4, quorum: 4, confidence: 0.9999, adversaryShare: 0.1 });
    // A dissent escalates to a second round of four fresh providers rather than ending the job.
    expect(plan.maxReplicas).toBe(8);
    expect(plan.pWrong).toBeCloseTo(1e-4, 18);
    expect(plan.pNoConsensus).toBeCloseTo(0.3438, 12);
  });

  it.each([
    [0.9, 0.1, 1],
    [0.99, 0.1, 2],
    [0.999, 0.1, 3],
    [0.99999, 0.1, 5],
    [0.9999, 0.2, 6],
    [0.9999, 0.01, 2],
    [0.999999, 0.01, 3],
    [0.9999, 0.33, 9],
  ])("confidence %f against share %f takes %i replicas", (confidence, adversaryShare, k) => {
    const plan = replicasForConfidence({ confidence, adversaryShare });
    expect(plan.replicas).toBe(k);
    expect(plan.pWrong).toBeLessThanOrEqual((1 - confidence) * (1 + 1e-9));
  });

  it("returns the cheapest job the contract allows: every smaller one accepts a wrong result more often than allowed", () => {
    for (const f of [0.01, 0.05, 0.1, 0.2, 0.33, 0.45]) {
      for (const confidence of [0.9, 0.99, 0.999, 0.9999, 0.999999]) {
        let plan;
        try {
          plan = replicasForConfidence({ confidence, adversaryShare: f });
        } catch (err) {
          // Refused only when even the best job, all 16 replicas agreeing, falls short.
          expect(err).toBeInstanceOf(ConfidenceUnreachableError);
          expect(replicaOdds(MAX_REPLICAS, MAX_REPLICAS, f).pWrong).toBeGreaterThan(1 - confidence);
          continue;
        }
        const allowed = (1 - confidence) * (1 + 1e-9);
        expect(plan.quorum * 2).toBeGreaterThan(plan.replicas);
        expect(plan.quorum).toBeLessThanOrEqual(plan.replicas);
        for (let k = 1; k < plan.replicas; k++)
          for (let m = Math.floor(k / 2) + 1; m <= k; m++) expect(replicaOdds(k, m, f).pWrong, `f ${f} conf ${confidence}: k ${k} m ${m}`).toBeGreaterThan(allowed);
        // Of the quorums at that k, the smallest that suffices, which fails least often.
        for (let m = Math.floor(plan.replicas / 2) + 1; m < plan.quorum; m++) expect(replicaOdds(plan.replicas, m, f).pWrong).toBeGreaterThan(allowed);
      }
    }
  });

  it("needs one replica when nobody colludes", () => {
    expect(replicasForConfidence({ confidence: 0.999999, adversaryShare: 0 })).toMatchObject({ replicas: 1, quorum: 1, pWrong: 0, pNoConsensus: 0 });
  });

  it("refuses a target no job of at most 16 replicas meets, saying how far to lower the confidence or the share", () => {
    const err = (() => {
      try {
        replicasForConfidence({ confidence: 0.9999, adversaryShare: 0.6 });
      } catch (e) {
        return e as ConfidenceUnreachableError;
      }
    })()!;
    expect(err).toBeInstanceOf(ConfidenceUnreachableError);
    expect(err).toBeInstanceOf(BaseError);
    expect(err.shortMessage).toContain("60 % of the stake");
    // 0.6^16 = 2.8e-4: the best is 99.971 %, rounded down; 1e-4^(1/16) = 0.562, rounded down.
    expect(err.bestConfidence).toBe(0.99971);
    expect(err.largestShare).toBe(0.56);
    expect(err.fix).toBe("Lower `confidence` to at most 0.99971, or guard against a smaller `adversaryShare` (at most 0.56 for this confidence).");
    // What the fix proposes is reachable.
    expect(replicasForConfidence({ confidence: err.bestConfidence, adversaryShare: 0.6 }).replicas).toBe(MAX_REPLICAS);
    expect(replicasForConfidence({ confidence: 0.9999, adversaryShare: err.largestShare }).replicas).toBe(MAX_REPLICAS);
    expect(() => replicasForConfidence({ confidence: 1 - 1e-15, adversaryShare: 0.2 })).toThrow(ConfidenceUnreachableError);
  });

  it.each([
    ["confidence", { confidence: 1 }],
    ["confidence", { confidence: 0 }],
    ["confidence", { confidence: 99.99 }],
    ["confidence", { confidence: Number.NaN }],
    ["adversaryShare", { confidence: 0.99, adversaryShare: 1 }],
    ["adversaryShare", { confidence: 0.99, adversaryShare: -0.1 }],
  ])("refuses a %s out of range", (field, p) => {
    const err = (() => {
      try {
        replicasForConfidence(p);
      } catch (e) {
        return e as InvalidConfidenceError;
      }
    })()!;
    expect(err).toBeInstanceOf(InvalidConfidenceError);
    expect(err).toBeInstanceOf(BaseError);
    expect(err.field).toBe(field);
    expect(err.fix).toMatch(/e\.g\./);
  });
});

describe("the settlement rule without escalation", () => {
  it("accepts the side with at least m reveals and ends NoConsensus when neither has them", () => {
    // k = 3, m = 2: two colluders win, one loses, and no split leaves both short.
    expect([0, 1, 2, 3].map((a) => outcomeOf(3, 2, a))).toEqual(["right", "right", "wrong", "wrong"]);
    // k = 4 unanimous: any dissent ends the job without a result.
    expect([0, 1, 2, 3, 4].map((a) => outcomeOf(4, 4, a))).toEqual(["right", "noConsensus", "noConsensus", "noConsensus", "wrong"]);
    expect([0, 1, 2, 3, 4, 5].map((a) => outcomeOf(5, 3, a))).toEqual(["right", "right", "right", "wrong", "wrong", "wrong"]);
  });
});

describe("binomial odds", () => {
  it("gives C(k, a) f^a (1 - f)^(k - a), summing to one", () => {
    const held = binomialHeld(4, 0.1);
    expect(held).toHaveLength(5);
    expect(held[0]).toBeCloseTo(0.6561, 15);
    expect(held[1]).toBeCloseTo(4 * 0.1 * 0.729, 15);
    expect(held[2]).toBeCloseTo(6 * 0.01 * 0.81, 15);
    expect(held[4]).toBeCloseTo(1e-4, 18);
    expect(held.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 14);
    expect(binomialHeld(16, 0.5)[8]).toBeCloseTo(12_870 / 65_536, 15);
  });

  it("f = 0.1, k = 4 unanimous accepts a wrong result with probability 1e-4 and fails 34.38 % of the time", () => {
    const o = replicaOdds(4, 4, 0.1);
    expect(o.pWrong).toBeCloseTo(1e-4, 18);
    expect(o.pNoConsensus).toBeCloseTo(1 - 0.6561 - 1e-4, 15);
    expect(o.pRight).toBeCloseTo(0.6561, 15);
  });

  it("k = 3, m = 2 at f = 0.1: 3 f^2 (1 - f) + f^3, and never fails", () => {
    const o = replicaOdds(3, 2, 0.1);
    expect(o.pWrong).toBeCloseTo(3 * 0.01 * 0.9 + 0.001, 15);
    expect(o.pNoConsensus).toBe(0);
  });

  it("keeps tiny tails exact instead of losing them in 1 - x", () => {
    expect(replicaOdds(16, 16, 0.01).pWrong / 1e-32).toBeCloseTo(1, 12);
    expect(replicaOdds(16, 16, 0).pWrong).toBe(0);
  });
});

describe("chooseReplicas: confidence or replicas and quorum, not both", () => {
  it("derives k and m from a confidence, and passes k and m given outright through", () => {
    expect(chooseReplicas({ confidence: 0.999 })).toMatchObject({ replicas: 3, quorum: 3, maxReplicas: 6, plan: { replicas: 3, quorum: 3, maxReplicas: 6 } });
    expect(chooseReplicas({ replicas: 5, quorum: 3 })).toEqual({ replicas: 5, quorum: 3 });
  });

  it.each([
    ["jobs[1].confidence", { confidence: 0.999, replicas: 3 }],
    ["jobs[1].confidence", { confidence: 0.999, quorum: 2 }],
    ["jobs[1].adversaryShare", { replicas: 3, adversaryShare: 0.1 }],
    ["jobs[1].replicas", {}],
  ])("refuses %s", (field, p) => {
    expect(() => chooseReplicas(p, "jobs[1].")).toThrow(InvalidJobParametersError);
    try {
      chooseReplicas(p, "jobs[1].");
    } catch (e) {
      expect((e as InvalidJobParametersError).field).toBe(field);
      expect((e as InvalidJobParametersError).fix).toContain("`confidence`");
    }
  });
});

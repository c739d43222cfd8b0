import { describe, expect, it } from "vitest";
import { BaseError } from "../errors.ts";
import { MAX_REPLICAS } from "../generated/limits.ts";
import { DEFAULT_ADVERSARY_SHARE, replicasForConfidence } from "./confidence.ts";
import { ConfidenceUnreachableError, InvalidConfidenceError } from "./errors.ts";
import { replicaOdds } from "./odds.ts";

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

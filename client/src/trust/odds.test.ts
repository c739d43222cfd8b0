import { describe, expect, it } from "vitest";
import { binomialHeld, outcomeOf, replicaOdds } from "./odds.ts";

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

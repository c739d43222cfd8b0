// The post form's confidence choice: each target fills in the replicas and quorum the SDK would
// derive, and the odds shown beside the escrow are those of the replicas and quorum in the form.
import { describe, expect, it } from "vitest";
import { DEFAULT_ADVERSARY_SHARE, replicasForConfidence } from "@accord/client/trust";
import { CONFIDENCE_CHOICES, formOdds, INITIAL_VALUES, validateJobForm, withConfidence } from "../lib/client/job-form.ts";

describe("the post form's confidence choice", () => {
  it("starts on custom replicas and quorum, as the form always did", () => {
    expect(INITIAL_VALUES).toMatchObject({ confidence: "custom", replicas: "3", quorum: "2" });
    expect(withConfidence(INITIAL_VALUES, "custom")).toEqual(INITIAL_VALUES);
  });

  it("fills in the SDK's replicas and quorum for each target: 99.9 % takes 3 that all agree, 99.99 % takes 4", () => {
    expect(withConfidence(INITIAL_VALUES, "0.999")).toMatchObject({ confidence: "0.999", replicas: "3", quorum: "3" });
    expect(withConfidence(INITIAL_VALUES, "0.9999")).toMatchObject({ confidence: "0.9999", replicas: "4", quorum: "4" });
    for (const c of CONFIDENCE_CHOICES.filter((c) => c.value !== "custom")) {
      const v = withConfidence(INITIAL_VALUES, c.value);
      const plan = replicasForConfidence({ confidence: Number(c.value), adversaryShare: DEFAULT_ADVERSARY_SHARE });
      expect([Number(v.replicas), Number(v.quorum)]).toEqual([plan.replicas, plan.quorum]);
      // What it fills in is a job the form accepts.
      const errors = validateJobForm({ ...v, maxPrice: "1" }, 6, { ok: true });
      expect(errors.replicas).toBeUndefined();
      expect(errors.quorum).toBeUndefined();
    }
  });

  it("shows the odds of the replicas and quorum in the form, and none while they are invalid", () => {
    const high = formOdds(withConfidence(INITIAL_VALUES, "0.9999"))!;
    expect(high.adversaryShare).toBe(0.1);
    expect(high.pWrong).toBeCloseTo(1e-4, 18);
    expect(high.pNoConsensus).toBeCloseTo(0.3438, 12);
    // k = 3, m = 2 at 10 %: 3 f^2 (1 - f) + f^3, and no split leaves both sides short.
    expect(formOdds(INITIAL_VALUES)).toMatchObject({ pNoConsensus: 0 });
    expect(formOdds(INITIAL_VALUES)!.pWrong).toBeCloseTo(0.028, 15);
    expect(formOdds({ ...INITIAL_VALUES, quorum: "1" })).toBeUndefined();
    expect(formOdds({ ...INITIAL_VALUES, replicas: "17", quorum: "9" })).toBeUndefined();
    expect(formOdds({ ...INITIAL_VALUES, replicas: "" })).toBeUndefined();
  });
});

// The post form's escalation cap: the same default as the CLI (the confidence planner's cap, or k
// for replicas set by hand), the contract's bounds as generated from Limits.sol, and the offer the
// form posts carrying it.
import { describe, expect, it } from "vitest";
import { jobParamsOf, MAX_REPLICAS } from "@accord/client/actions/chain";
import { cidOfBytes } from "@accord/client/content";
import { DEFAULT_ADVERSARY_SHARE, replicasForConfidence } from "@accord/client/trust";
import { escrowedReplicasOf, INITIAL_VALUES, offerOf, validateJobForm, withConfidence, withReplicasTyped } from "../lib/client/job-form.ts";

const valid = { ...INITIAL_VALUES, maxPrice: "1" };
const capError = (maxReplicas: string, replicas = "3") => validateJobForm({ ...valid, replicas, quorum: String(Math.floor(Number(replicas) / 2) + 1), maxReplicas }, 6, { ok: true }).maxReplicas;

describe("the post form's escalation cap", () => {
  it("starts empty, which is k: no escalation, as the CLI without --max-replicas", async () => {
    expect(INITIAL_VALUES.maxReplicas).toBe("");
    expect(escrowedReplicasOf(valid)).toBe(3);
    expect(offerOf(valid, 6).maxReplicas).toBeUndefined();
    const manifestCid = await cidOfBytes(new Uint8Array([1]));
    expect(jobParamsOf({ ...offerOf(valid, 6), manifestCid }).maxReplicas).toBe(3);
  });

  it("takes the planner's cap with a confidence choice, as `accord job submit --confidence` does, unless the user typed one", () => {
    for (const choice of ["0.999", "0.9999"]) {
      const plan = replicasForConfidence({ confidence: Number(choice), adversaryShare: DEFAULT_ADVERSARY_SHARE });
      const v = withConfidence(valid, choice);
      expect(Number(v.maxReplicas)).toBe(plan.maxReplicas);
      expect(v.maxReplicas).toBe(String(Math.min(MAX_REPLICAS, 2 * plan.replicas)));
      expect(validateJobForm(v, 6, { ok: true }).maxReplicas).toBeUndefined();
    }
    expect(withConfidence({ ...valid, maxReplicas: "5" }, "0.9999", true).maxReplicas).toBe("5");
    // Replicas typed by hand drop the plan's cap (the user did not ask for it), but keep one the user typed.
    const planned = withConfidence(valid, "0.9999");
    expect(withReplicasTyped(planned, "replicas", "5", false)).toMatchObject({ confidence: "custom", replicas: "5", maxReplicas: "" });
    expect(withReplicasTyped({ ...planned, maxReplicas: "9" }, "quorum", "3", true)).toMatchObject({ confidence: "custom", quorum: "3", maxReplicas: "9" });
  });

  it("refuses a cap outside the contract's bounds, k to MAX_REPLICAS, saying which", () => {
    expect(MAX_REPLICAS).toBe(16);
    expect(capError("3")).toBeUndefined();
    expect(capError("16")).toBeUndefined();
    expect(capError("2")).toBe("From 3 (the replicas: no escalation) to 16 replicas in all, or empty for no escalation.");
    expect(capError("17")).toBe("From 3 (the replicas: no escalation) to 16 replicas in all, or empty for no escalation.");
    expect(capError("4.5")).toBeDefined();
    expect(capError("x")).toBeDefined();
    // With the replicas themselves wrong, their own error speaks; the cap is refused only outside 1..16.
    expect(capError("4", "17")).toBeUndefined();
    expect(capError("20", "17")).toBe("Set the replicas first: the cap is between them and 16.");
    expect(escrowedReplicasOf({ ...valid, maxReplicas: "17" })).toBeUndefined();
  });

  it("posts the cap typed, which the escrow then covers", async () => {
    const v = { ...valid, replicas: "4", quorum: "4", maxReplicas: "7" };
    expect(escrowedReplicasOf(v)).toBe(7);
    const offer = offerOf(v, 6);
    expect(offer).toMatchObject({ replicas: 4, quorum: 4, maxReplicas: 7, maxPrice: 1_000_000n });
    const manifestCid = await cidOfBytes(new Uint8Array([1]));
    expect(jobParamsOf({ ...offer, manifestCid })).toMatchObject({ replicas: 4, quorum: 4, maxReplicas: 7 });
  });
});

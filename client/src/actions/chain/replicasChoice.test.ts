import { describe, expect, it } from "vitest";
import { InvalidJobParametersError } from "../errors.ts";
import { chooseReplicas } from "./replicasChoice.ts";

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

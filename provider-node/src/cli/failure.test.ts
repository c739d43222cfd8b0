import { ContractRevertedError } from "@accord/client/chain";
import { describe, expect, it } from "vitest";
import { failureLine } from "./failure.ts";

describe("failureLine", () => {
  it("words the library's fix with this CLI's commands", () => {
    const line = failureLine(new ContractRevertedError("stake", "NotRegistered", [], undefined));
    expect(line).toMatch(/NotRegistered\(\)/);
    expect(line).toContain("What to do: Register as a provider first (`accord-provider register`).");
  });

  it("leaves a backticked name it has no command for as the library wrote it", () => {
    const line = failureLine(new ContractRevertedError("bid", "DeadlinePassed", [], undefined));
    expect(line).toContain("the job moves on with `claim`.");
  });
});

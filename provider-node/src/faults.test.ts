import { describe, expect, it } from "vitest";
import { encodeResultBundle, type ResultBundle } from "@accord/client/sandbox";
import { HONEST } from "./behaviour.ts";
import { behaviourFor, FAULTS } from "./faults.ts";

const OTHER = "0x00000000000000000000000000000000000000bb" as const;
const COMMITMENT = `0x${"44".repeat(32)}` as const;
const produced: ResultBundle = { status: { kind: "exit", code: 0 }, fuelUsed: 1234, stdout: new TextEncoder().encode("42\n"), stderr: new Uint8Array(), files: {} };
const noReads = async () => {
  throw new Error("an honest node reads no winners at the award");
};

describe("behaviourFor", () => {
  it("without a fault is the honest behaviour: the sandbox's result, bids with the commitment, runs what it won, reveals", async () => {
    const b = behaviourFor(undefined);
    expect(b).toBe(HONEST);
    expect(b.resultFor(1n, produced)).toBe(produced);
    expect(b.bidsWithCommitment(1n)).toBe(true);
    expect(await b.afterAward(1n, noReads)).toEqual({ do: "run" });
    expect(b.withholdReveal(1n)).toBeUndefined();
  });

  it("wrong-result commits to a result that differs from the sandbox's, the same one each run (so it can reveal it)", () => {
    const b = behaviourFor("wrong-result");
    const wrong = b.resultFor(1n, produced);
    expect(encodeResultBundle(wrong)).not.toEqual(encodeResultBundle(produced));
    expect(encodeResultBundle(b.resultFor(1n, produced))).toEqual(encodeResultBundle(wrong));
    expect({ fuelUsed: wrong.fuelUsed, status: wrong.status }).toEqual({ fuelUsed: produced.fuelUsed, status: produced.status });
    expect(b.withholdReveal(1n)).toBeUndefined();
  });

  it("collude commits the coalition's wrong result: the same bytes on every colluding node, unlike the honest result and wrong-result's", () => {
    const honest = encodeResultBundle(produced);
    const colluders = [behaviourFor("collude"), behaviourFor("collude")].map((b) => encodeResultBundle(b.resultFor(1n, produced)));
    expect(colluders[0]).not.toEqual(honest);
    expect(colluders[1]).toEqual(colluders[0]);
    expect(colluders[0]).not.toEqual(encodeResultBundle(behaviourFor("wrong-result").resultFor(1n, produced)));
    expect(behaviourFor("collude").bidsWithCommitment(1n)).toBe(true);
    expect(behaviourFor("collude").withholdReveal(1n)).toBeUndefined();
  });

  it("never-reveal runs and commits like an honest node, then withholds its reveal", async () => {
    const b = behaviourFor("never-reveal");
    expect(b.resultFor(1n, produced)).toBe(produced);
    expect(await b.afterAward(1n, noReads)).toEqual({ do: "run" });
    expect(b.withholdReveal(1n)).toBe("not revealing (fault)");
  });

  it("copy-commit and silent-after-award bid in two phases (their misbehaviour is between award and commit)", () => {
    expect(FAULTS.filter((f) => !behaviourFor(f).bidsWithCommitment(1n))).toEqual(["copy-commit", "silent-after-award"]);
  });

  it("copy-commit waits for another winner's commitment and then takes it as its own", async () => {
    const b = behaviourFor("copy-commit");
    const winner = { provider: OTHER, committed: false, commitmentOrDigest: COMMITMENT };
    expect(await b.afterAward(1n, async () => [winner])).toEqual({ do: "wait" });
    expect(await b.afterAward(1n, async () => [{ ...winner, committed: true }])).toMatchObject({ do: "commit", commitment: COMMITMENT, from: OTHER });
  });

  it("silent-after-award does nothing with the replica it won", async () => {
    expect(await behaviourFor("silent-after-award").afterAward(1n, noReads)).toMatchObject({ do: "nothing" });
  });
});

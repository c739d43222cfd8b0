import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfidenceUnreachableError, InvalidConfidenceError } from "../trust/errors.ts";
import { CliConfigError, cliErrorText } from "./errors.ts";
import { EXIT } from "./exit.ts";
import { main } from "./main.ts";
import { planLine, replicasFromFlags } from "./replicasFlags.ts";

describe("--confidence, or --replicas and --quorum", () => {
  it("derives the replicas and quorum from a fraction or a percentage", () => {
    expect(replicasFromFlags({ confidence: "0.9999" })).toMatchObject({ replicas: 4, quorum: 4, plan: { confidence: 0.9999, adversaryShare: 0.1 } });
    expect(replicasFromFlags({ confidence: "99.99%" }).plan!.confidence).toBeCloseTo(0.9999, 12);
    expect(replicasFromFlags({ confidence: "0.9999", adversaryShare: "20%" })).toMatchObject({ replicas: 6, quorum: 6 });
    expect(replicasFromFlags({ replicas: "5", quorum: "3" })).toEqual({ replicas: 5, quorum: 3 });
    expect(replicasFromFlags({})).toEqual({ replicas: 1, quorum: undefined });
  });

  it.each([
    [{ confidence: "0.9999", replicas: "3" }, /--confidence derives the replicas and quorum, and --replicas sets them/],
    [{ confidence: "0.9999", quorum: "2" }, /and --quorum sets them/],
    [{ replicas: "3", adversaryShare: "0.1" }, /--adversary-share was given without --confidence/],
    [{ confidence: "high" }, /--confidence "high" is not a probability/],
    [{ confidence: "0.99", adversaryShare: "-0.1" }, /--adversary-share "-0.1" is not a probability/],
  ])("refuses %o before anything is read or sent", (flags, message) => {
    expect(() => replicasFromFlags(flags)).toThrow(CliConfigError);
    expect(() => replicasFromFlags(flags)).toThrow(message);
  });

  it("words the library's refusals in flags", () => {
    const unreachable = (() => {
      try {
        replicasFromFlags({ confidence: "0.9999", adversaryShare: "0.6" });
      } catch (e) {
        return e as ConfidenceUnreachableError;
      }
    })()!;
    expect(unreachable).toBeInstanceOf(ConfidenceUnreachableError);
    expect(cliErrorText(unreachable)).toContain("What to do: Lower --confidence to at most 0.99971, or guard against a smaller --adversary-share (at most 0.56 for this confidence).");
    expect(() => replicasFromFlags({ confidence: "99.99" })).toThrow(InvalidConfidenceError);
  });

  it("says what the plan buys and what it costs in failed jobs", () => {
    const plan = replicasFromFlags({ confidence: "0.99999" }).plan!;
    expect(planLine(plan)).toBe(
      "  5 replica(s), all must agree: for confidence 99.999 % against colluders holding 10 % of the stake, P(wrong result accepted) 1.0e-5, P(no consensus) 41 % (a dissent that leaves no quorum escalates to fresh providers, up to 10 replicas in all, and slashes the dissenters)",
    );
    // --max-replicas 5: the request's own cap, which allows no escalation.
    expect(planLine(plan, 5)).toMatch(/P\(no consensus\) 41 % \(a dissent ends the job NoConsensus and the escrow is credited back\)$/);
  });
});

describe("accord job submit --confidence", () => {
  const module = join(import.meta.dirname, "..", "..", "fixtures", "wasm", "sha256.wasm");
  let dir: string;
  let stderr: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "accord-confidence-"));
    // Nothing of the machine's own configuration: flags below name all of it.
    for (const name of Object.keys(process.env)) if (name.startsWith("ACCORD_")) vi.stubEnv(name, undefined);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => vi.restoreAllMocks());

  /** Runs the CLI in this process against an RPC nobody answers (port 1): whatever it prints first, it sends nothing. */
  async function submit(...flags: string[]): Promise<{ code: number; stderr: string }> {
    stderr = "";
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
    const code = await main(["--config", join(dir, "none.json"), "--rpc-url", "http://127.0.0.1:1", "job", "submit", module, "--confidence", ...flags, "--", "/input/x"]);
    return { code, stderr };
  }

  it("prints the replicas, quorum and odds it derived before it connects", async () => {
    const run = await submit("0.9999");
    expect(run.stderr).toContain("  4 replica(s), all must agree: for confidence 99.99 % against colluders holding 10 % of the stake, P(wrong result accepted) 1.0e-4, P(no consensus) 34.4 %");
    // Then it tried the chain, and nothing was paid.
    expect(run.stderr).toMatch(/127\.0\.0\.1:1/);
    expect(run.stderr).not.toMatch(/cost: escrow|posted job/);
    expect(run.code).not.toBe(EXIT.OK);
  });

  it("refuses --confidence with --replicas, with exit code 2 and nothing sent", async () => {
    const run = await submit("0.9999", "--replicas", "3");
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain("error: --confidence derives the replicas and quorum, and --replicas sets them: pass one or the other.");
    expect(run.stderr).toContain("What to do: Drop --replicas and --quorum to have them derived from --confidence, or drop --confidence (and --adversary-share) to set them yourself.");
    expect(run.stderr).not.toMatch(/127\.0\.0\.1:1|replica\(s\), all must agree/);
  });

  it("refuses a confidence no job reaches, in the CLI's words", async () => {
    const run = await submit("0.9999", "--adversary-share", "0.6");
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain("What to do: Lower --confidence to at most 0.99971, or guard against a smaller --adversary-share (at most 0.56 for this confidence).");
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { AccountRequiredError, NoBidsError, WaitTimeoutError, type NoBidsDiagnosis } from "../actions/errors.ts";
import { ContractRevertedError } from "../chain/revert.ts";
import { DeploymentNotFoundError } from "../deployments.ts";
import { cliErrorText, cliFix } from "./errors.ts";

const src = join(import.meta.dirname, "..");

/** A job that expired after a provider said it needs a 100 s commit window. */
function windowDeclined(): NoBidsError {
  const diagnosis: NoBidsDiagnosis = {
    jobId: 7n,
    registered: 1,
    eligible: ["0xabc"],
    reasons: [
      {
        code: "declined",
        message: "0xabc declined: the commit window is too short",
        providers: ["0xabc"],
        declines: [{ code: "window", message: "needs 100 s", commitWindowSeconds: 60, needSeconds: 100, estRunMs: 50_000 }],
      },
    ],
  };
  return new NoBidsError(7n, 0, 1, diagnosis);
}

describe("error fixes: the library's terms, the CLI's words", () => {
  it("the library names parameters and actions as its API spells them, and the CLI turns them into flags and commands", () => {
    const err = windowDeclined();
    expect(err.fix).toBe("Submit again with `commitWindow` 100 or more (seconds: the providers above said what they need); the escrow was credited back (`withdraw`).");
    expect(cliFix(err)).toBe("Submit again with --commit-window 100 or more (seconds: the providers above said what they need); the escrow was credited back (`accord withdraw`).");
    const text = cliErrorText(err);
    expect(text).toContain(err.shortMessage);
    expect(text).toContain("- 0xabc declined: the commit window is too short");
    expect(text).toMatch(/\nWhat to do: Submit again with --commit-window 100 or more/);
    expect(text).not.toContain("`commitWindow`");
  });

  it("says the flag for a parameter the requester should change", () => {
    const err = new NoBidsError(8n, 0, 1, { jobId: 8n, registered: 1, eligible: [], reasons: [{ code: "reputation-too-low", message: "below the job's minimum", providers: ["0xabc"] }] });
    expect(err.fix).toMatch(/^Lower `minReputation`/);
    expect(cliErrorText(err)).toMatch(/What to do: Lower --min-reputation, or wait/);
  });

  it("words a contract's refusal and a wait that gave up as commands", () => {
    const refused = new ContractRevertedError("claim", "DeadlinePassed", [], undefined);
    expect(refused.fix).toContain("`claim`");
    expect(cliFix(refused)).toBe("The phase deadline passed; the job moves on with `accord job claim <id>`.");
    expect(cliFix(new WaitTimeoutError("the result", 1_000))).toBe("The job keeps going on-chain: follow it with `accord job status <id> --watch` or fetch its result later with `accord job result <id>`.");
  });

  it("leaves a backticked name it has no word for as the library wrote it", () => {
    const refused = new ContractRevertedError("stake", "StakeBelowMinimum", [], undefined);
    expect(cliFix(refused)).toBe(refused.fix);
  });

  it("replaces whole the fixes that speak of client options the CLI sets its own way", () => {
    const noKey = new AccountRequiredError("postJob");
    expect(noKey.fix).toContain("createAccordClient");
    expect(cliFix(noKey)).toMatch(/ACCORD_PRIVATE_KEY/);
    const noDeployment = new DeploymentNotFoundError(5, "/nowhere/5.json");
    expect(noDeployment.fix).not.toMatch(/npm/);
    expect(cliFix(noDeployment)).toMatch(/`npm start`.*--market/);
  });

  it("no library code outside the CLI tells its user to run a CLI command", () => {
    const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.startsWith(`cli`));
    expect(files.length).toBeGreaterThan(50);
    const bad: string[] = [];
    for (const f of files) {
      readFileSync(join(src, f), "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (/^\s*(\*|\/\/)/.test(line)) return; // comments may name the CLI
          if (/`accord(-provider)? [a-z]|npm (start|run)|accord (job|withdraw|providers) /.test(line)) bad.push(`${relative(src, join(src, f))}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(bad, "say what to do in API terms; cli/errors.ts words it for the CLI").toEqual([]);
  });
});

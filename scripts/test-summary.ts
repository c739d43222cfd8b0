// Prints the one closing line CI reads: `N passed, N failed`, adding vitest's JSON report
// to the Solidity runner's counts. A suite that did not report counts as one failure so
// that a crash before any test ran can never look green.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2] ?? "test-results";
let passed = 0;
let failed = 0;

const sol = join(dir, "solidity.json");
if (existsSync(sol)) {
  const r = JSON.parse(readFileSync(sol, "utf8"));
  passed += r.passed;
  failed += r.failed;
} else {
  console.error("test-summary: no Solidity test report (test-results/solidity.json)");
  failed += 1;
}

const ts = join(dir, "vitest.json");
if (existsSync(ts)) {
  const r = JSON.parse(readFileSync(ts, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A file that failed with no failed test still failed: it did not load, or a hook (afterAll) threw
  // after its tests passed. Counted once each, so the line never reads "0 failed" on a red run.
  failed += (r.testResults ?? []).filter((f: any) => f.status === "failed" && !(f.assertionResults ?? []).some((a: any) => a.status === "failed")).length;
} else {
  console.error("test-summary: no vitest report (test-results/vitest.json)");
  failed += 1;
}

console.log(`${passed} passed, ${failed} failed`);

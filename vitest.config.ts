import { defineConfig } from "vitest/config";

// One runner for every package: unit tests sit beside their code, cross-package and
// contract tests in test/. Files run in parallel across the machine's 2 cores; tests
// inside a file run in order because most of them share a chain or a node.
export default defineConfig({
  test: {
    include: [
      "test/**/*.test.ts",
      "client/src/**/*.test.ts",
      "provider-node/src/**/*.test.ts",
      "web/test/**/*.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});

import { configDefaults, defineConfig } from "vitest/config";

// Two projects. unit: tests beside their code (client/src, provider-node/src) and static
// checks of the tree; they start at most local libp2p nodes and sandbox pools, never a chain
// or a daemon, and run in well under a minute (`npm run test:unit`). integration: test/ and
// web/test, which start Hardhat or anvil chains, provider daemons, CLI processes and chromium.
// Two files run at once (vitest's default is one fewer than the cores: one on CI's two):
// integration files spend most of their time waiting for blocks and child processes, so a
// second file fills that time. Tests inside a file run in order because most of them share a
// chain or a node.
const shared = { testTimeout: 60_000, hookTimeout: 120_000, pool: "forks" } as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          include: ["client/src/**/*.test.ts", "provider-node/src/**/*.test.ts", "test/api-boundaries.test.ts"],
        },
      },
      {
        test: {
          ...shared,
          name: "integration",
          include: ["test/**/*.test.ts", "web/test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/api-boundaries.test.ts"],
        },
      },
    ],
    maxWorkers: 2,
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});

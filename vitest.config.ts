import { configDefaults, defineConfig } from "vitest/config";

// Two projects. unit: tests beside their code (client/src, provider-node/src) and static checks of
// the tree; they start no chain, daemon, browser or libp2p node, and run in under a minute on two
// cores (`npm run test:unit`). integration: test/ and web/test, which start Hardhat or anvil chains,
// provider daemons, CLI processes and chromium, and the library's own tests that start libp2p nodes
// and move files between them over loopback (NETWORKED): their time goes to dials, transfers and
// idle timeouts, which a loaded machine stretches, so they wait with the other process tests.
// Two files run at once (vitest's default is one fewer than the cores: one on CI's two):
// integration files spend most of their time waiting for blocks and child processes, so a
// second file fills that time. Tests inside a file run in order because most of them share a
// chain or a node.
const shared = { testTimeout: 60_000, hookTimeout: 120_000, pool: "forks" } as const;

const NETWORKED = [
  "client/src/net/node.test.ts",
  "client/src/net/declines.test.ts",
  "client/src/net/peer-datastore.test.ts",
  "client/src/net/registry-discovery.test.ts",
  "client/src/transfer/block-transfer.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          include: ["client/src/**/*.test.ts", "provider-node/src/**/*.test.ts", "test/api-boundaries.test.ts"],
          exclude: [...configDefaults.exclude, ...NETWORKED],
          // One module graph per worker instead of one per file: a fresh graph for each of ~50 files
          // re-imported viem, libp2p and the sandbox every time, 40 % of the project's time. Unit
          // tests keep no state between files (no module mocks, spies restored in the file), so
          // sharing the graph changes what they see only through a leak, which is itself a bug.
          isolate: false,
        },
      },
      {
        test: {
          ...shared,
          name: "integration",
          // A beforeAll here starts a chain and up to eight daemons; at a load average near 30 (five
          // engineers' suites on two cores) that took over two minutes.
          hookTimeout: 300_000,
          include: ["test/**/*.test.ts", "web/test/**/*.test.ts", ...NETWORKED],
          exclude: [...configDefaults.exclude, "test/api-boundaries.test.ts"],
        },
      },
    ],
    maxWorkers: 2,
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});

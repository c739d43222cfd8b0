// The same end-to-end scenarios on anvil (Foundry's EVM, an implementation independent of Hardhat's)
// mining a block every second, so the calls of a job share blocks as on a live chain: the three
// commits or reveals of a job land together and each must be sized for what lands before it.
// Lean, beside the Hardhat run in CI: the burst is 10 jobs (ACCORD_E2E_ANVIL_BURST_JOBS sets another
// number), since every post waits for its block.
import { defineScenarios } from "./scenarios.ts";

defineScenarios({ chain: { engine: "anvil", blockTime: 1 }, burstJobs: Number(process.env.ACCORD_E2E_ANVIL_BURST_JOBS ?? 10) });

// The end-to-end scenarios on Hardhat's node with automine (a block per transaction): the reference
// run, with issue #8's full burst of 200 jobs (ACCORD_E2E_BURST_JOBS sets another number).
import { defineScenarios } from "./scenarios.ts";

defineScenarios({ chain: { engine: "hardhat" }, burstJobs: Number(process.env.ACCORD_E2E_BURST_JOBS ?? 200) });

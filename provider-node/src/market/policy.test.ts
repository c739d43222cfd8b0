import { describe, expect, it } from "vitest";
import type { Manifest } from "@accord/client/manifest";
import { DEFAULT_PRICING, PROVIDER_LIMITS } from "../constants.ts";
import { decideBid, priceFor, type BidJob, type BidPolicy, type BidState } from "./policy.ts";

const CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";
const manifest = (limits: Partial<Manifest["limits"]> = {}): Manifest => ({
  version: 1,
  runtime: "wasi-preview1",
  module: CID,
  args: ["x"],
  env: {},
  inputs: {},
  limits: { fuel: 1_000_000_000, memoryPages: 16, stdoutBytes: 1024, stderrBytes: 1024, outputFiles: 1, outputBytes: 1024, wallClockMs: 60_000, ...limits },
  resultPublicKey: `0x${"11".repeat(32)}`,
});
const job: BidJob = { requester: "0x00000000000000000000000000000000000000aa", maxPrice: 10_000n, minReputation: 0, bidDeadline: 1_000, commitWindow: 60, collateralRatioBps: 10_000 };
const state: BidState = { chainNow: 900, reputation: 5_000, freeStake: 1_000_000n, queuedJobs: 0, queuedRunMs: 0 };
const policy: BidPolicy = { pricing: DEFAULT_PRICING, limits: { ...PROVIDER_LIMITS, fuelPerSecond: 1_000_000_000, workers: 2 } };
const inputs = { moduleBytes: 1000, inputBytes: 0 };

describe("priceFor", () => {
  it("charges fuel, memory and input by the configured rates, rounding up", () => {
    // 1e9 fuel at 1000 per 1e9 = 1000; 16 pages = 1 MiB at 1; 1000 bytes -> 1 MiB at 1.
    expect(priceFor(manifest(), inputs, DEFAULT_PRICING)).toBe(1_002n);
    expect(priceFor(manifest({ fuel: 1 }), { moduleBytes: 0, inputBytes: 0 }, { ...DEFAULT_PRICING, minPrice: 50n })).toBe(50n);
    expect(priceFor(manifest(), { moduleBytes: 3 * 1024 * 1024, inputBytes: 1 }, { ...DEFAULT_PRICING, pricePerInputMiB: 10n })).toBe(1_000n + 1n + 40n);
  });
});

describe("decideBid", () => {
  it("bids its price for a job that fits", () => {
    expect(decideBid(job, manifest(), inputs, state, policy)).toEqual({ bid: true, price: 1_002n, estRunMs: 1_000 });
  });

  it.each([
    ["deny list", { job: { ...job }, policy: { ...policy, denyRequesters: ["0x00000000000000000000000000000000000000AA" as const] } }, "policy", /deny list/],
    ["allow list", { policy: { ...policy, allowRequesters: ["0x00000000000000000000000000000000000000bb" as const] } }, "policy", /allow list/],
    ["closed bidding", { state: { ...state, chainNow: 1_000 } }, "policy", /bidding closed/],
    ["low reputation", { job: { ...job, minReputation: 6_000 } }, "policy", /reputation 6000/],
    ["fuel over limit", { manifest: manifest({ fuel: PROVIDER_LIMITS.maxJobFuel + 1 }) }, "limits", /maxJobFuel/],
    ["memory over limit", { manifest: manifest({ memoryPages: PROVIDER_LIMITS.maxJobMemoryPages + 1 }) }, "limits", /maxJobMemoryPages/],
    ["result over limit", { manifest: manifest({ outputBytes: PROVIDER_LIMITS.maxResultBytes }) }, "limits", /maxResultBytes/],
    ["big module", { inputs: { moduleBytes: PROVIDER_LIMITS.maxModuleBytes + 1, inputBytes: 0 } }, "limits", /maxModuleBytes/],
    ["big inputs", { inputs: { moduleBytes: 1, inputBytes: PROVIDER_LIMITS.maxInputBytes + 1 } }, "limits", /maxInputBytes/],
    ["price above max", { job: { ...job, maxPrice: 1_001n } }, "price", /pays at most 1001.*asks 1002/],
    ["too little free stake", { state: { ...state, freeStake: 1_001n } }, "stake", /only 1001 stake is free/],
    ["full queue", { state: { ...state, queuedJobs: 8 } }, "capacity", /at capacity/],
    ["queue past the commit window", { state: { ...state, queuedJobs: 3, queuedRunMs: 60_000 } }, "capacity", /commit window/],
    ["fuel past the backstop", { manifest: manifest({ fuel: 5_000_000_000, wallClockMs: 1_000 }) }, "backstop", /wall-clock backstop/],
    ["a commit window too short for the job alone", { job: { ...job, maxPrice: 10n ** 6n }, manifest: manifest({ fuel: 40_000_000_000 }) }, "window", /commit window of at least 80 s/],
  ])("declines for %s, naming the rule", (_, over: any, code, reason) => {
    const d = decideBid(over.job ?? job, over.manifest ?? manifest(), over.inputs ?? inputs, over.state ?? state, over.policy ?? policy);
    if (d.bid) throw new Error("expected a decline");
    expect(d.reason.code).toBe(code);
    expect(d.reason.message).toMatch(reason);
    // Only the rules that depend on the node's load are worth deciding again while bidding is open.
    expect(d.retry).toBe(code === "capacity" || code === "stake");
  });

  it("waits for stake to free only if the whole stake could cover the collateral", () => {
    expect(decideBid(job, manifest(), inputs, { ...state, freeStake: 1n, stake: 10n ** 9n }, policy)).toMatchObject({ bid: false, retry: true, reason: { code: "stake" } });
    expect(decideBid(job, manifest(), inputs, { ...state, freeStake: 1n, stake: 2n }, policy)).toMatchObject({ bid: false, retry: false, reason: { code: "stake" } });
  });

  it("tells the price with its parts, and the commit window the job would need", () => {
    const d = decideBid({ ...job, maxPrice: 1_001n }, manifest(), inputs, state, policy);
    expect(d).toMatchObject({ bid: false, reason: { code: "price", maxPrice: "1001", price: "1002", breakdown: { fuel: "1000", memory: "1", input: "1", minPrice: "1" } } });
    // 40e9 fuel at 1e9/s is 40 s of running; half the window is planned for it, so 80 s.
    const w = decideBid({ ...job, maxPrice: 10n ** 6n }, manifest({ fuel: 40_000_000_000 }), inputs, state, policy);
    expect(w).toMatchObject({ bid: false, reason: { code: "window", commitWindowSeconds: 60, needSeconds: 80, estRunMs: 40_000 } });
  });
});

import type { Address } from "viem";
import type { Manifest } from "@accord/client/manifest";
import { FUEL_PER_GIGA, MIB, WASM_PAGE_BYTES, type ProviderLimits } from "../constants.ts";
import type { Pricing } from "../config/config.ts";

/** What the node knows about a job when it decides to bid (chain times in unix seconds). */
export type BidJob = {
  requester: Address;
  maxPrice: bigint;
  minReputation: number;
  bidDeadline: number;
  commitWindow: number;
  collateralRatioBps: number;
};

/** Sizes of what the job needs fetched, measured by loading it. */
export type BidInputs = { moduleBytes: number; inputBytes: number };

/** The node's own standing and load right now. */
export type BidState = {
  chainNow: number;
  reputation: number;
  freeStake: bigint;
  /** Jobs bid for or won but not yet run. */
  queuedJobs: number;
  /** Their estimated sandbox time, summed. */
  queuedRunMs: number;
};

export type BidPolicy = {
  pricing: Pricing;
  limits: ProviderLimits;
  allowRequesters?: readonly Address[];
  denyRequesters?: readonly Address[];
};

export type BidDecision = { bid: true; price: bigint; estRunMs: number } | { bid: false; reason: string };

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/** The node's price for a manifest: fuel budget, memory and bytes to fetch, never below minPrice. */
export function priceFor(manifest: Manifest, inputs: BidInputs, pricing: Pricing): bigint {
  const fuel = ceilDiv(BigInt(manifest.limits.fuel) * pricing.pricePerGigaFuel, FUEL_PER_GIGA);
  const memMiB = ceilDiv(BigInt(manifest.limits.memoryPages * WASM_PAGE_BYTES), BigInt(MIB));
  const inMiB = ceilDiv(BigInt(inputs.moduleBytes + inputs.inputBytes), BigInt(MIB));
  const price = fuel + memMiB * pricing.pricePerMemoryMiB + inMiB * pricing.pricePerInputMiB;
  return price > pricing.minPrice ? price : pricing.minPrice;
}

/** Sandbox time the node plans for: the whole fuel budget at its measured rate (a job may stop sooner). */
export function estimateRunMs(manifest: Manifest, limits: ProviderLimits): number {
  return Math.ceil((manifest.limits.fuel / limits.fuelPerSecond) * 1000);
}

/** Limits of this node that a manifest asks more than, or undefined when it fits. */
export function manifestOverLimits(manifest: Manifest, limits: ProviderLimits): string | undefined {
  const l = manifest.limits;
  if (l.fuel > limits.maxJobFuel) return `fuel budget ${l.fuel} exceeds this node's maxJobFuel ${limits.maxJobFuel}`;
  if (l.memoryPages > limits.maxJobMemoryPages) return `memory of ${l.memoryPages} pages exceeds this node's maxJobMemoryPages ${limits.maxJobMemoryPages}`;
  if (l.wallClockMs > limits.maxJobWallClockMs) return `wall-clock backstop ${l.wallClockMs} ms exceeds this node's maxJobWallClockMs ${limits.maxJobWallClockMs}`;
  const result = l.stdoutBytes + l.stderrBytes + l.outputBytes;
  if (result > limits.maxResultBytes) return `result of up to ${result} bytes exceeds this node's maxResultBytes ${limits.maxResultBytes}`;
  return undefined;
}

/** Checks that need only the posted job, before anything is fetched. */
export function precheck(job: BidJob, state: Pick<BidState, "chainNow" | "reputation">, policy: BidPolicy): string | undefined {
  const requester = job.requester.toLowerCase();
  if (policy.denyRequesters?.some((a) => a.toLowerCase() === requester)) return `requester ${job.requester} is on the deny list`;
  if (policy.allowRequesters?.length && !policy.allowRequesters.some((a) => a.toLowerCase() === requester))
    return `requester ${job.requester} is not on the allow list`;
  if (state.chainNow >= job.bidDeadline) return `bidding closed at ${job.bidDeadline} (chain time ${state.chainNow})`;
  if (state.reputation < job.minReputation) return `the job wants reputation ${job.minReputation} bps, this node has ${state.reputation}`;
  return undefined;
}

/**
 * Whether to bid, and at what price. Declines name the rule that failed, so an operator can
 * read in the log why the node passed a job by. The capacity rule keeps the node from winning
 * more than its workers can run before the commit deadlines: missing one costs collateral.
 */
export function decideBid(job: BidJob, manifest: Manifest, inputs: BidInputs, state: BidState, policy: BidPolicy): BidDecision {
  const early = precheck(job, state, policy);
  if (early) return { bid: false, reason: early };
  const { limits } = policy;
  const over = manifestOverLimits(manifest, limits);
  if (over) return { bid: false, reason: over };
  if (inputs.moduleBytes > limits.maxModuleBytes) return { bid: false, reason: `module of ${inputs.moduleBytes} bytes exceeds maxModuleBytes ${limits.maxModuleBytes}` };
  if (inputs.inputBytes > limits.maxInputBytes) return { bid: false, reason: `inputs of ${inputs.inputBytes} bytes exceed maxInputBytes ${limits.maxInputBytes}` };

  const price = priceFor(manifest, inputs, policy.pricing);
  if (price > job.maxPrice) return { bid: false, reason: `the job pays at most ${job.maxPrice} per replica, this node asks ${price}` };
  const collateral = (price * BigInt(job.collateralRatioBps)) / 10_000n;
  if (collateral > state.freeStake) return { bid: false, reason: `a bid of ${price} locks ${collateral} collateral, only ${state.freeStake} stake is free` };

  const workers = Math.max(1, limits.workers);
  if (state.queuedJobs >= workers * limits.maxQueuedJobsPerWorker)
    return { bid: false, reason: `at capacity: ${state.queuedJobs} jobs queued for ${workers} worker(s)` };
  const estRunMs = estimateRunMs(manifest, limits);
  if (estRunMs > manifest.limits.wallClockMs)
    return { bid: false, reason: `its fuel budget needs about ${estRunMs} ms here, past its ${manifest.limits.wallClockMs} ms wall-clock backstop` };
  const finishMs = state.queuedRunMs / workers + estRunMs;
  const budgetMs = job.commitWindow * 1000 * limits.commitWindowShare;
  if (finishMs > budgetMs)
    return { bid: false, reason: `it would finish in about ${Math.ceil(finishMs)} ms behind the queue, past ${Math.floor(budgetMs)} ms of its commit window` };
  return { bid: true, price, estRunMs };
}

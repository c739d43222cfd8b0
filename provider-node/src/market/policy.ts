import type { Address } from "viem";
import type { Manifest } from "@accord/client/manifest";
import { FUEL_PER_GIGA, MIB, WASM_PAGE_BYTES, type ProviderLimits } from "../constants.ts";
import type { Pricing } from "../config/config.ts";
import type { DeclineReason } from "@accord/client/net";

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
  /** All of it, locked or not: a collateral above it can never be covered, so waiting for stake to free is pointless. */
  stake?: bigint;
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

/**
 * A decline carries the rule that refused the job, with its figures (the requester is told them
 * over DECLINES_PROTOCOL). `retry`: the rule depends on the node's load (queue, free stake), so
 * the node keeps the job and decides again when that changes, until the bid deadline.
 */
export type BidDecision = { bid: true; price: bigint; estRunMs: number } | { bid: false; reason: DeclineReason; retry: boolean };

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/** What any bid on the job locks, as the contract computes it: ceil(maxPrice * collateralRatioBps / 10_000). */
export function collateralOf(job: Pick<BidJob, "maxPrice" | "collateralRatioBps">): bigint {
  return ceilDiv(job.maxPrice * BigInt(job.collateralRatioBps), 10_000n);
}

/** What each part of the job costs at this node's rates; the price is their sum, never below minPrice. */
export type PriceBreakdown = { fuel: bigint; memory: bigint; input: bigint; minPrice: bigint };

export function priceBreakdown(manifest: Manifest, inputs: BidInputs, pricing: Pricing): PriceBreakdown {
  const fuel = ceilDiv(BigInt(manifest.limits.fuel) * pricing.pricePerGigaFuel, FUEL_PER_GIGA);
  const memMiB = ceilDiv(BigInt(manifest.limits.memoryPages * WASM_PAGE_BYTES), BigInt(MIB));
  const inMiB = ceilDiv(BigInt(inputs.moduleBytes + inputs.inputBytes), BigInt(MIB));
  return { fuel, memory: memMiB * pricing.pricePerMemoryMiB, input: inMiB * pricing.pricePerInputMiB, minPrice: pricing.minPrice };
}

/** The node's price for a manifest: fuel budget, memory and bytes to fetch, never below minPrice. */
export function priceFor(manifest: Manifest, inputs: BidInputs, pricing: Pricing): bigint {
  const b = priceBreakdown(manifest, inputs, pricing);
  const price = b.fuel + b.memory + b.input;
  return price > b.minPrice ? price : b.minPrice;
}

/** Sandbox time the node plans for: the whole fuel budget at its measured rate (a job may stop sooner). */
export function estimateRunMs(manifest: Manifest, limits: ProviderLimits): number {
  return Math.ceil((manifest.limits.fuel / limits.fuelPerSecond) * 1000);
}

const overLimit = (limit: string, asked: number, max: number, message: string): DeclineReason => ({ code: "limits", message, limit, asked, max });

/** The limit of this node that a manifest asks more than, or undefined when it fits. */
export function manifestOverLimits(manifest: Manifest, limits: ProviderLimits): DeclineReason | undefined {
  const l = manifest.limits;
  if (l.fuel > limits.maxJobFuel) return overLimit("maxJobFuel", l.fuel, limits.maxJobFuel, `fuel budget ${l.fuel} exceeds this node's maxJobFuel ${limits.maxJobFuel}`);
  if (l.memoryPages > limits.maxJobMemoryPages)
    return overLimit("maxJobMemoryPages", l.memoryPages, limits.maxJobMemoryPages, `memory of ${l.memoryPages} pages exceeds this node's maxJobMemoryPages ${limits.maxJobMemoryPages}`);
  if (l.wallClockMs > limits.maxJobWallClockMs)
    return overLimit("maxJobWallClockMs", l.wallClockMs, limits.maxJobWallClockMs, `wall-clock backstop ${l.wallClockMs} ms exceeds this node's maxJobWallClockMs ${limits.maxJobWallClockMs}`);
  const result = l.stdoutBytes + l.stderrBytes + l.outputBytes;
  if (result > limits.maxResultBytes) return overLimit("maxResultBytes", result, limits.maxResultBytes, `result of up to ${result} bytes exceeds this node's maxResultBytes ${limits.maxResultBytes}`);
  return undefined;
}

const policyRule = (rule: string, message: string): DeclineReason => ({ code: "policy", rule, message });

/** Checks that need only the posted job, before anything is fetched. */
export function precheck(job: BidJob, state: Pick<BidState, "chainNow" | "reputation">, policy: BidPolicy): DeclineReason | undefined {
  const requester = job.requester.toLowerCase();
  if (policy.denyRequesters?.some((a) => a.toLowerCase() === requester)) return policyRule("deny-list", `requester ${job.requester} is on the deny list`);
  if (policy.allowRequesters?.length && !policy.allowRequesters.some((a) => a.toLowerCase() === requester))
    return policyRule("allow-list", `requester ${job.requester} is not on the allow list`);
  if (state.chainNow >= job.bidDeadline) return policyRule("bidding-closed", `bidding closed at ${job.bidDeadline} (chain time ${state.chainNow})`);
  if (state.reputation < job.minReputation) return policyRule("reputation", `the job wants reputation ${job.minReputation} bps, this node has ${state.reputation}`);
  return undefined;
}

/** Jobs bid for or won and not yet run that the node's workers take at most (the capacity rule of decideBid). */
export function maxQueued(limits: Pick<ProviderLimits, "workers" | "maxQueuedJobsPerWorker">): number {
  return Math.max(1, limits.workers) * limits.maxQueuedJobsPerWorker;
}

const final = (reason: DeclineReason): BidDecision => ({ bid: false, reason, retry: false });
const forNow = (reason: DeclineReason): BidDecision => ({ bid: false, reason, retry: true });

/**
 * Whether to bid, and at what price. Declines name the rule that failed, so an operator can
 * read in the log, and the requester over DECLINES_PROTOCOL, why the node passed a job by. The
 * capacity rule keeps the node from winning more than its workers can run before the commit
 * deadlines: missing one costs collateral.
 */
export function decideBid(job: BidJob, manifest: Manifest, inputs: BidInputs, state: BidState, policy: BidPolicy): BidDecision {
  const early = precheck(job, state, policy);
  if (early) return final(early);
  const { limits } = policy;
  const over = manifestOverLimits(manifest, limits);
  if (over) return final(over);
  if (inputs.moduleBytes > limits.maxModuleBytes)
    return final(overLimit("maxModuleBytes", inputs.moduleBytes, limits.maxModuleBytes, `module of ${inputs.moduleBytes} bytes exceeds maxModuleBytes ${limits.maxModuleBytes}`));
  if (inputs.inputBytes > limits.maxInputBytes)
    return final(overLimit("maxInputBytes", inputs.inputBytes, limits.maxInputBytes, `inputs of ${inputs.inputBytes} bytes exceed maxInputBytes ${limits.maxInputBytes}`));

  const breakdown = priceBreakdown(manifest, inputs, policy.pricing);
  const price = priceFor(manifest, inputs, policy.pricing);
  if (price > job.maxPrice)
    return final({
      code: "price",
      message: `the job pays at most ${job.maxPrice} per replica, this node asks ${price} (fuel ${breakdown.fuel} + memory ${breakdown.memory} + input ${breakdown.input}, at least ${breakdown.minPrice})`,
      maxPrice: job.maxPrice.toString(),
      price: price.toString(),
      breakdown: { fuel: breakdown.fuel.toString(), memory: breakdown.memory.toString(), input: breakdown.input.toString(), minPrice: breakdown.minPrice.toString() },
    });

  const estRunMs = estimateRunMs(manifest, limits);
  if (estRunMs > manifest.limits.wallClockMs)
    return final({ code: "backstop", message: `its fuel budget needs about ${estRunMs} ms here, past its ${manifest.limits.wallClockMs} ms wall-clock backstop`, estRunMs, wallClockMs: manifest.limits.wallClockMs });
  const budgetMs = job.commitWindow * 1000 * limits.commitWindowShare;
  if (estRunMs > budgetMs) {
    // Even with nothing queued: the window itself is too short for this node.
    const needSeconds = Math.ceil(estRunMs / 1000 / limits.commitWindowShare);
    return final({ code: "window", message: `the job needs a commit window of at least ${needSeconds} s here (about ${estRunMs} ms of running in ${Math.round(limits.commitWindowShare * 100)} % of the window); it has ${job.commitWindow} s`, commitWindowSeconds: job.commitWindow, needSeconds, estRunMs });
  }

  const collateral = collateralOf(job);
  if (state.stake !== undefined && collateral > state.stake)
    return final({ code: "stake", message: `a bid locks ${collateral} collateral, more than all ${state.stake} of this node's stake`, collateral: collateral.toString(), freeStake: state.freeStake.toString() });
  if (collateral > state.freeStake)
    return forNow({ code: "stake", message: `a bid locks the job's ${collateral} collateral (its max price at the collateral ratio, whatever the bid), only ${state.freeStake} stake is free`, collateral: collateral.toString(), freeStake: state.freeStake.toString() });
  const workers = Math.max(1, limits.workers);
  const maxQueuedJobs = maxQueued(limits);
  if (state.queuedJobs >= maxQueuedJobs)
    return forNow({ code: "capacity", message: `at capacity: ${state.queuedJobs} jobs queued for ${workers} worker(s)`, queuedJobs: state.queuedJobs, maxQueuedJobs });
  const finishMs = Math.ceil(state.queuedRunMs / workers + estRunMs);
  if (finishMs > budgetMs)
    return forNow({
      code: "capacity",
      message: `it would finish in about ${finishMs} ms behind the queue, past ${Math.floor(budgetMs)} ms of its commit window`,
      queuedJobs: state.queuedJobs,
      maxQueuedJobs,
      finishMs,
      budgetMs: Math.floor(budgetMs),
    });
  return { bid: true, price, estRunMs };
}

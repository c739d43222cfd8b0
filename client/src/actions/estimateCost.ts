import type { Address } from "viem";
import type { AccordClient } from "../client.ts";
import { BPS } from "../chain/constants.ts";
import { readParameters } from "../chain/market.ts";
import type { ChainRequestError, ContractRevertedError } from "../chain/revert.ts";
import { MAX_REPLICAS } from "../generated/limits.ts";
import { chooseReplicas, type ReplicaPlan, type ReplicasChoice } from "../trust/confidence.ts";
import type { ConfidenceUnreachableError, InvalidConfidenceError } from "../trust/errors.ts";
import { escrowFor } from "./chain/offer.ts";
import { InvalidJobParametersError } from "./errors.ts";
import { listProviders } from "./listProviders.ts";

/** Ask prices are quoted per this much fuel (docs/PROTOCOL.md, "### Providers"). */
export const ASK_PRICE_FUEL_UNIT = 1_000_000_000n;

/**
 * The default max price is this many basis points of the clearing price. On-chain asks price
 * fuel only, while providers also charge for memory and input size, so the clearing price is a
 * lower bound; winners are paid their own bids, so the headroom costs the requester nothing but
 * a larger (refunded) escrow.
 */
export const MAX_PRICE_HEADROOM_BPS = 20_000n;

/** The max price to offer when the requester names none: the clearing price with headroom. */
export function suggestMaxPrice(clearingPrice: bigint): bigint {
  return (clearingPrice * MAX_PRICE_HEADROOM_BPS + BigInt(BPS) - 1n) / BigInt(BPS);
}

/**
 * What a provider charges beyond its on-chain ask (which prices fuel only), unless its operator
 * set other rates: provider-node's DEFAULT_PRICING. Token units per MiB (rounded up) of memory
 * the manifest allows and of module and input bytes it must fetch; no price is below minPrice.
 */
export const DEFAULT_PROVIDER_RATES = { pricePerMemoryMiB: 1n, pricePerInputMiB: 1n, minPrice: 1n } as const;
export type ProviderRates = { pricePerMemoryMiB: bigint; pricePerInputMiB: bigint; minPrice: bigint };

const MIB = 1024n * 1024n;
const WASM_PAGE_BYTES = 65_536n;
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/** A provider's price for one replica, part by part, as its bidding policy computes it. */
export type PriceBreakdown = { fuel: bigint; memory: bigint; input: bigint; minPrice: bigint; price: bigint };

/**
 * The provider's price for a job: `max(minPrice, ceil(fuel × ask / 1e9) + memoryMiB × memory
 * rate + inputMiB × input rate)` (docs/PROTOCOL.md, provider "Price"), with `inputBytes` the
 * module, stdin and input files together.
 */
export function priceBreakdown(askPrice: bigint, job: { fuel: bigint; memoryPages: number; inputBytes: number }, rates: ProviderRates = DEFAULT_PROVIDER_RATES): PriceBreakdown {
  const fuel = ceilDiv(job.fuel * askPrice, ASK_PRICE_FUEL_UNIT);
  const memory = ceilDiv(BigInt(job.memoryPages) * WASM_PAGE_BYTES, MIB) * rates.pricePerMemoryMiB;
  const input = ceilDiv(BigInt(job.inputBytes), MIB) * rates.pricePerInputMiB;
  const sum = fuel + memory + input;
  return { fuel, memory, input, minPrice: rates.minPrice, price: sum > rates.minPrice ? sum : rates.minPrice };
}

/** The replicas to price, or the confidence to derive them from (see ReplicasChoice; the quorum does not change the cost). */
export type EstimateCostParameters = ReplicasChoice & {
  /** Fuel limit of the job: providers price a job by it (ask × fuel / 1e9). */
  fuel: number | bigint;
  /**
   * Memory limit in 64 KiB pages and bytes of module, stdin and inputs: providers charge for
   * them too (DEFAULT_PROVIDER_RATES). Without them the quotes price fuel only, a lower bound.
   */
  memoryPages?: number;
  inputBytes?: number;
  /**
   * The most replicas escalation may bring the job to (default: the replicas, no escalation): the
   * escrow covers this many, and what no round uses is refunded.
   */
  maxReplicas?: number;
  /** Token units per replica; default: `suggestMaxPrice` of the price at which `replicas` providers would bid. */
  maxPrice?: bigint;
  minReputation?: number;
  signal?: AbortSignal;
};

export type ProviderQuote = { provider: Address; price: bigint; score: number; free: bigint; breakdown: PriceBreakdown };

export type EstimateCostReturnType = {
  /** The replicas priced: as given, or derived from `confidence`. */
  replicas: number;
  /** When asked by `confidence`: the replicas and quorum chosen and their odds. */
  plan?: ReplicaPlan;
  maxPrice: bigint;
  /** The replicas the escrow covers: maxReplicas, or the replicas when the job may not escalate. */
  maxReplicas: number;
  /** What postJob moves into escrow: maxReplicas × maxPrice plus the protocol fee on it. */
  escrow: bigint;
  fee: bigint;
  protocolFeeBps: number;
  /** What each eligible provider would ask for one replica, cheapest first. */
  quotes: ProviderQuote[];
  /** The price at which `replicas` eligible providers would all bid (undefined if fewer exist). */
  clearingPrice: bigint | undefined;
  /** What the requester most likely pays: the `replicas` cheapest quotes under maxPrice, plus fee. */
  expectedCost: bigint;
};
export type EstimateCostErrorType = InvalidJobParametersError | InvalidConfidenceError | ConfidenceUnreachableError | ChainRequestError | ContractRevertedError;

/** A provider's price for one replica of a job with this fuel limit (at least 1 token unit). */
export function quoteFor(askPrice: bigint, fuel: bigint): bigint {
  const q = (askPrice * fuel + ASK_PRICE_FUEL_UNIT - 1n) / ASK_PRICE_FUEL_UNIT;
  return q > 0n ? q : 1n;
}

/**
 * What a job will cost before posting it: the escrow the contract will take, and what the
 * registered providers' ask prices say it will really cost and which max price gets bids.
 */
export async function estimateCost(client: AccordClient, parameters: EstimateCostParameters): Promise<EstimateCostReturnType> {
  const { signal } = parameters;
  const { replicas, plan, maxReplicas } = chooseReplicas(parameters);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS)
    throw new InvalidJobParametersError("replicas", `${replicas} is not between 1 and ${MAX_REPLICAS}`, `Ask for between 1 and ${MAX_REPLICAS} replicas.`);
  const cap = parameters.maxReplicas ?? maxReplicas ?? replicas;
  if (!Number.isInteger(cap) || cap < replicas || cap > MAX_REPLICAS)
    throw new InvalidJobParametersError("maxReplicas", `${cap} is not between the ${replicas} replicas and ${MAX_REPLICAS}`, `Allow between ${replicas} (no escalation) and ${MAX_REPLICAS} replicas in all.`);
  const fuel = BigInt(parameters.fuel);
  const minReputation = parameters.minReputation ?? 0;
  const [params, providers] = await Promise.all([readParameters(client.publicClient, client.deployment.jobMarket), listProviders(client, { signal })]);
  const quotes = providers
    .filter((p) => p.score >= minReputation)
    .map((p) => {
      const breakdown =
        parameters.memoryPages === undefined && parameters.inputBytes === undefined
          ? { fuel: quoteFor(p.askPrice, fuel), memory: 0n, input: 0n, minPrice: 1n, price: quoteFor(p.askPrice, fuel) }
          : priceBreakdown(p.askPrice, { fuel, memoryPages: parameters.memoryPages ?? 0, inputBytes: parameters.inputBytes ?? 0 });
      return { provider: p.address, price: breakdown.price, score: p.score, free: p.free, breakdown };
    })
    // A provider without enough free stake for the collateral cannot bid at its own price.
    .filter((q) => q.free >= (q.price * BigInt(params.collateralRatioBps)) / BigInt(BPS))
    .sort((a, b) => (a.price < b.price ? -1 : a.price > b.price ? 1 : b.score - a.score));
  const clearingPrice = quotes.length >= replicas ? quotes[replicas - 1].price : undefined;
  const maxPrice = parameters.maxPrice ?? (clearingPrice !== undefined ? suggestMaxPrice(clearingPrice) : quotes.at(-1)?.price ?? 1n);
  if (maxPrice <= 0n) throw new InvalidJobParametersError("maxPrice", "it must be above zero", "Offer a positive price per replica.");
  const { escrow, fee } = escrowFor(cap, maxPrice, params.protocolFeeBps);
  const under = quotes.filter((q) => q.price <= maxPrice).slice(0, replicas);
  // Winners are paid their own bid; unfilled slots are refunded.
  const paid = under.reduce((s, q) => s + q.price, 0n);
  const expectedCost = paid + (paid * BigInt(params.protocolFeeBps)) / BigInt(BPS);
  return { replicas, ...(plan ? { plan } : {}), maxPrice, maxReplicas: cap, escrow, fee, protocolFeeBps: params.protocolFeeBps, quotes, clearingPrice, expectedCost };
}

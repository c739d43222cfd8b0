// A job's offer: its terms (replicas, quorum, price, windows) checked against the contract's bounds
// before any transaction, the JobParams struct postJob takes, and the escrow they make the requester pay.
import { erc20Abi, type Address } from "viem";
import type { CID } from "multiformats/cid";
import { readParameters } from "../../chain/market.ts";
import { explainChainError } from "../../chain/revert.ts";
import { cidToHex } from "../../content/cid.ts";
import { BPS, MAX_BID_WINDOW_SECONDS, MAX_PHASE_WINDOW_SECONDS, MAX_PRICE_UNITS, MAX_REPLICAS, MAX_REPUTATION_BPS, MIN_PHASE_WINDOW_SECONDS } from "../../generated/limits.ts";
import { InsufficientBalanceError, InvalidJobParametersError } from "../errors.ts";
import { formatAmount, getTokenInfo, type TokenInfo } from "../internal/token.ts";
import type { MarketChain } from "./marketChain.ts";

/** Defaults: award on fill, and phase windows generous enough for a slow provider. */
export const DEFAULT_BID_WINDOW_S = 0;
export const DEFAULT_COMMIT_WINDOW_S = 600;
export const DEFAULT_REVEAL_WINDOW_S = 600;

/** What a requester offers for a job, as postJob's JobParams carries it (docs/PROTOCOL.md, "Parameters and bounds"). */
export type JobOffer = {
  /** k: independent runs, 1..MAX_REPLICAS. */
  replicas: number;
  /** m: identical results needed, k/2 < m <= k (default: the smallest majority). */
  quorum?: number;
  /**
   * The most replicas escalation may bring the job to when its reveals leave no digest with the
   * quorum, k..MAX_REPLICAS (default k: never escalates, the job ends NoConsensus). The escrow covers
   * this many; what no round used is refunded (docs/PROTOCOL.md, "Escalation").
   */
  maxReplicas?: number;
  /** Most paid to one provider for one replica, in token units (see parseAmount). */
  maxPrice: bigint;
  /** Seconds of bidding; 0 (default) awards the job as soon as k bids are in. */
  bidWindow?: number;
  commitWindow?: number;
  revealWindow?: number;
  /** Lowest provider reputation, basis points (0..MAX_REPUTATION_BPS). */
  minReputation?: number;
};

/** A job ready to post: its terms and the CID of its manifest, already where providers can fetch it. */
export type PostableJob = JobOffer & { manifestCid: CID };

const DAY_S = 86_400;

/**
 * Checks a job's terms against the contract's bounds (generated from contracts/libraries/Limits.sol),
 * before any transaction; returns the quorum. `at` prefixes the field in errors ("jobs[2].").
 */
export function checkJobOffer(p: JobOffer, at = ""): number {
  const bad = (field: string, problem: string, fix: string) => new InvalidJobParametersError(at + field, problem, fix);
  const k = p.replicas;
  if (!Number.isInteger(k) || k < 1 || k > MAX_REPLICAS) throw bad("replicas", `${k} is not between 1 and ${MAX_REPLICAS}`, `Ask for between 1 and ${MAX_REPLICAS} replicas.`);
  const m = p.quorum ?? Math.floor(k / 2) + 1;
  if (!Number.isInteger(m) || m <= k / 2 || m > k)
    throw bad("quorum", `${m} of ${k} is not a majority`, `Pick a quorum above half the replicas and at most ${k} (e.g. ${Math.floor(k / 2) + 1}).`);
  const cap = p.maxReplicas ?? k;
  if (!Number.isInteger(cap) || cap < k || cap > MAX_REPLICAS)
    throw bad("maxReplicas", `${cap} is not between the ${k} replicas and ${MAX_REPLICAS}`, `Allow between ${k} (no escalation) and ${MAX_REPLICAS} replicas in all.`);
  if (typeof p.maxPrice !== "bigint" || p.maxPrice <= 0n || p.maxPrice > MAX_PRICE_UNITS)
    throw bad("maxPrice", `${p.maxPrice} token units is out of range`, "Offer a positive price per replica (estimateCost suggests one).");
  const window = (field: string, v: number | undefined, min: number, max: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max))
      throw bad(field, `${v} s is outside ${min}..${max} s`, `Pick ${field} between ${min} seconds and ${max / DAY_S} days.`);
  };
  window("bidWindow", p.bidWindow, 0, MAX_BID_WINDOW_SECONDS);
  window("commitWindow", p.commitWindow, MIN_PHASE_WINDOW_SECONDS, MAX_PHASE_WINDOW_SECONDS);
  window("revealWindow", p.revealWindow, MIN_PHASE_WINDOW_SECONDS, MAX_PHASE_WINDOW_SECONDS);
  const r = p.minReputation ?? 0;
  if (!Number.isInteger(r) || r < 0 || r > MAX_REPUTATION_BPS)
    throw bad("minReputation", `${r} is not 0..${MAX_REPUTATION_BPS} basis points`, "Pass a reputation in basis points, e.g. 5000 for 50 %.");
  return m;
}

/** The JobParams struct postJob takes: the terms checked, the defaults filled in. */
export function jobParamsOf(job: PostableJob, at = "") {
  const quorum = checkJobOffer(job, at);
  return {
    manifestCid: cidToHex(job.manifestCid),
    replicas: job.replicas,
    quorum,
    maxReplicas: job.maxReplicas ?? job.replicas,
    maxPrice: job.maxPrice,
    bidWindow: job.bidWindow ?? DEFAULT_BID_WINDOW_S,
    commitWindow: job.commitWindow ?? DEFAULT_COMMIT_WINDOW_S,
    revealWindow: job.revealWindow ?? DEFAULT_REVEAL_WINDOW_S,
    minReputation: job.minReputation ?? 0,
  };
}
export type JobParams = ReturnType<typeof jobParamsOf>;

/** How many replicas a job's escrow pays for: its cap when it may escalate, else k. */
export function escrowedReplicas(job: Pick<JobOffer, "replicas" | "maxReplicas">): number {
  return job.maxReplicas ?? job.replicas;
}

/**
 * What postJob moves into escrow: replicas × maxPrice plus the protocol fee on it (replicas: the
 * job's maxReplicas, which escalation may use; see escrowedReplicas), the fee
 * rounded down as the contract's `_escrow` rounds it (contracts/JobSettlement.sol).
 */
export function escrowFor(replicas: number, maxPrice: bigint, feeBps: number): { escrow: bigint; fee: bigint } {
  const base = BigInt(replicas) * maxPrice;
  const fee = (base * BigInt(feeBps)) / BigInt(BPS);
  return { escrow: base + fee, fee };
}

/** What posting needs from the chain: the market's fee, the token, the owner's balance and allowance to the market. */
export type EscrowTerms = { protocolFeeBps: number; token: TokenInfo; balance: bigint; allowance: bigint };

/**
 * Reads the escrow terms. submitJob starts this before its uploads (they do not depend on each
 * other) and hands the promise to postJob; it is observed at once, so an upload that fails first
 * does not leave it unhandled.
 */
export function readEscrowTerms(chain: MarketChain, owner: Address): Promise<EscrowTerms> {
  const { publicClient, market, token } = chain;
  const reads = Promise.all([
    readParameters(publicClient, market),
    getTokenInfo(chain),
    publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [owner] }),
    publicClient.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [owner, market] }),
  ]).then(
    ([params, tokenInfo, balance, allowance]) => ({ protocolFeeBps: params.protocolFeeBps, token: tokenInfo, balance, allowance }),
    (err) => {
      throw explainChainError("Reading the escrow terms and your balance", err);
    },
  );
  reads.catch(() => {});
  return reads;
}

/** Refuses, before any transaction, an escrow the owner's balance cannot cover. */
export function requireBalance(owner: Address, needed: bigint, terms: EscrowTerms): void {
  if (terms.balance >= needed) return;
  throw new InsufficientBalanceError({
    needed: formatAmount(needed, terms.token.decimals),
    balance: formatAmount(terms.balance, terms.token.decimals),
    symbol: terms.token.symbol,
    account: owner,
    neededUnits: needed,
    balanceUnits: terms.balance,
  });
}

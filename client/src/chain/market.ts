import type { Address, PublicClient } from "viem";
import { jobMarketAbi } from "../generated/abi.ts";
import { JOB_STATES, TERMINAL_STATES, type JobStateName } from "./constants.ts";
import { explainChainError } from "./revert.ts";

async function readRaw<F extends string>(client: PublicClient, address: Address, functionName: F, args: readonly unknown[]) {
  try {
    return await client.readContract({ address, abi: jobMarketAbi, functionName: functionName as never, args: args as never });
  } catch (err) {
    throw explainChainError(`Reading ${functionName}(${args.join(", ")})`, err);
  }
}

export type JobInfo = {
  jobId: bigint;
  requester: Address;
  state: JobStateName;
  terminal: boolean;
  replicas: number;
  quorum: number;
  bids: number;
  commits: number;
  reveals: number;
  awardOnFill: boolean;
  minReputation: number;
  protocolFeeBps: number;
  collateralRatioBps: number;
  maxPrice: bigint;
  escrow: bigint;
  /** Deadline of the current phase, unix seconds (0 once terminal). */
  deadline: bigint;
  commitWindow: number;
  revealWindow: number;
};

/** A job's on-chain record, with its state by name. Throws ContractRevertedError(JobNotFound) for unknown ids. */
export async function readJob(client: PublicClient, market: Address, jobId: bigint): Promise<JobInfo> {
  const v = (await readRaw(client, market, "getJob", [jobId])) as any;
  const state = JOB_STATES[Number(v.state)] ?? "None";
  return {
    jobId,
    requester: v.requester,
    state,
    terminal: TERMINAL_STATES.has(state),
    replicas: Number(v.replicas),
    quorum: Number(v.quorum),
    bids: Number(v.bids),
    commits: Number(v.commits),
    reveals: Number(v.reveals),
    awardOnFill: v.awardOnFill,
    minReputation: Number(v.minReputation),
    protocolFeeBps: Number(v.protocolFeeBps),
    collateralRatioBps: Number(v.collateralRatioBps),
    maxPrice: v.maxPrice,
    escrow: v.escrow,
    deadline: BigInt(v.deadline),
    commitWindow: Number(v.commitWindow),
    revealWindow: Number(v.revealWindow),
  };
}

export type ReplicaInfo = {
  provider: Address;
  price: bigint;
  collateral: bigint;
  reputation: number;
  committed: boolean;
  revealed: boolean;
  commitmentOrDigest: `0x${string}`;
};

/** The job's bids (before the award) or replicas (after), in book order. */
export async function readReplicas(client: PublicClient, market: Address, jobId: bigint): Promise<ReplicaInfo[]> {
  const rows = (await readRaw(client, market, "getReplicas", [jobId])) as readonly any[];
  return rows.map((r) => ({
    provider: r.provider,
    price: r.price,
    collateral: r.collateral,
    reputation: Number(r.reputation),
    committed: r.committed,
    revealed: r.revealed,
    commitmentOrDigest: r.commitmentOrDigest,
  }));
}

export type ProviderInfo = {
  address: Address;
  registered: boolean;
  peerId: `0x${string}`;
  multiaddrs: string[];
  askPrice: bigint;
  stake: bigint;
  locked: bigint;
  free: bigint;
  unbonding: bigint;
  unbondingAvailableAt: bigint;
  earnings: bigint;
  awarded: number;
  agreed: number;
  dissented: number;
  missed: number;
  /**
   * Basis points: (agreedValue + prior) * 10_000 / (judgedValue + 2 * prior), prior = the market's
   * minStake; 5_000 for a newcomer (docs/PROTOCOL.md, "Reputation").
   */
  score: number;
  /** Sum of the prices others paid it for agreeing with other replicas. */
  agreedValue: bigint;
  /** agreedValue plus the max price of every job it dissented on or missed. */
  judgedValue: bigint;
};

export async function readProvider(client: PublicClient, market: Address, provider: Address): Promise<ProviderInfo> {
  const v = (await readRaw(client, market, "getProvider", [provider])) as any;
  return {
    address: provider,
    registered: v.registered,
    peerId: v.peerId,
    multiaddrs: [...v.multiaddrs],
    askPrice: v.askPrice,
    stake: v.stake,
    locked: v.locked,
    free: (v.stake as bigint) - (v.locked as bigint),
    unbonding: v.unbonding,
    unbondingAvailableAt: BigInt(v.unbondingAvailableAt),
    earnings: v.earnings,
    awarded: Number(v.awarded),
    agreed: Number(v.agreed),
    dissented: Number(v.dissented),
    missed: Number(v.missed),
    score: Number(v.score),
    agreedValue: v.agreedValue,
    judgedValue: v.judgedValue,
  };
}

export type MarketParameters = {
  minStake: bigint;
  unbondingDelay: number;
  protocolFeeBps: number;
  collateralRatioBps: number;
  fillTimeout: number;
  treasury: Address;
  /** Seconds an award-on-fill job's pool takes bids before its replicas are drawn. */
  poolWindow: number;
  /** Seconds from a pool's close to the earliest draw. */
  seedDelay: number;
};

export async function readParameters(client: PublicClient, market: Address): Promise<MarketParameters> {
  const v = (await readRaw(client, market, "parameters", [])) as any;
  return {
    minStake: v.minStake,
    unbondingDelay: Number(v.unbondingDelay),
    protocolFeeBps: Number(v.protocolFeeBps),
    collateralRatioBps: Number(v.collateralRatioBps),
    fillTimeout: Number(v.fillTimeout),
    treasury: v.treasury,
    poolWindow: Number(v.poolWindow),
    seedDelay: Number(v.seedDelay),
  };
}


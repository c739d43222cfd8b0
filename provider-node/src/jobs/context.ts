/**
 * What every job step shares: the node's services and the per-job state the driver keeps
 * (StepContext), and the few record helpers that evaluation, running and the step machine
 * all use. It imports none of them, so they stand on it instead of on each other.
 */
import type { Logger } from "pino";
import { isAddressEqual, type Address } from "viem";
import { computeCommitment, type JobInfo, randomSalt, type ReplicaInfo } from "@accord/client/chain";
import { cidDigest, type ContentStore, parseCid } from "@accord/client/content";
import type { SandboxPool } from "@accord/client/sandbox";
import type { ProviderLimits } from "../constants.ts";
import type { ProviderBehaviour } from "../behaviour.ts";
import type { JobRecord, Journal } from "../journal/journal.ts";
import type { BidPolicy } from "../market/policy.ts";
import type { ProviderMetrics } from "../metrics/metrics.ts";
import type { LoadJobParameters, RequesterHolders, ValidatedModules } from "../work/load.ts";
import type { ChainClock } from "./chain-clock.ts";
import type { JobChain, NodeReads } from "./job-chain.ts";
import type { JobKnowledge } from "./knowledge.ts";
import type { RunAttempts } from "./run-attempts.ts";
import type { Semaphore } from "./semaphore.ts";
import type { DeclineBook } from "./waiting.ts";

export type StepContext = {
  /** The market, as the steps reach it (job-chain.ts). */
  jobChain: JobChain;
  journal: Journal;
  content: ContentStore;
  pool: SandboxPool;
  metrics: ProviderMetrics;
  log: Logger;
  policy: BidPolicy;
  limits: ProviderLimits;
  /** How the node acts where a provider could cheat: honest, unless a test or demo gave it a fault (faults.ts). */
  behaviour: ProviderBehaviour;
  clock: ChainClock;
  signal: AbortSignal;
  me: Address;
  /** Multiaddrs of peers likely to hold job content, tried before the DHT. */
  contentPeers: () => string[];
  evaluations: Semaphore;
  /** What the market's events told the node about each job: the driver records, the steps ask. */
  known: JobKnowledge;
  /** Structured reasons of declined jobs, told to requesters over DECLINES_PROTOCOL. */
  declineBook: DeclineBook;
  /** This node's provider record and the market's collateral ratio, shared by evaluations. */
  reads: NodeReads;
  /** Failed runs per awarded job, to give up after maxRunAttempts. */
  runAttempts: RunAttempts;
  /** Modules the sandbox already accepted, so a module posted again is not parsed again. */
  validModules: ValidatedModules;
  /** The peer that last served each requester's content, asked first for its next job's. */
  holders: RequesterHolders;
  /** Step the job again once the chain's clock reaches `chainTime` (unix seconds). */
  wakeAt: (jobId: bigint, chainTime: number) => void;
  /** Step the job again after `ms` of wall time. */
  retryIn: (jobId: bigint, ms: number) => void;
};

/** The job's record, or undefined once its storage was reused (the job ended long ago). */
export function jobState(ctx: StepContext, jobId: bigint): Promise<JobInfo | undefined> {
  return ctx.jobChain.job(jobId);
}

/** Our bid or replica in the job, or undefined (also when the record was reused: callers then read jobState and finish the job). */
export async function myReplica(ctx: StepContext, jobId: bigint): Promise<ReplicaInfo | undefined> {
  return (await ctx.jobChain.replicas(jobId))?.find((r) => isAddressEqual(r.provider, ctx.me));
}

/** Marks a job finished for us: settled (it ran its course) or lost (we never won it). */
export function finish(ctx: StepContext, rec: JobRecord, phase: "settled" | "lost" | "failed", reason: string): false {
  const retainUntilMs = rec.sealedCid ? Date.now() + ctx.limits.resultRetentionMs : undefined;
  ctx.known.dropUnsealed(rec.jobId);
  ctx.journal.update(rec.jobId, { phase, reason, retainUntilMs });
  if (phase === "lost") ctx.metrics.lost.inc();
  ctx.log.info({ jobId: rec.jobId.toString(), phase, reason }, "job finished for this node");
  return false;
}

/**
 * Prepares the commit: a salt, journalled with the result (and on the disk, see Journal.flush) before any transaction
 * carries the commitment. A salt already journalled is kept (the journal never replaces one),
 * so the commitment is always the one its salt opens.
 */
export function journalCommitment(ctx: StepContext, rec: JobRecord, result: { resultCid: string; sealedCid?: string; fuelUsed: number }, phase: "committing" | "bidding" = "committing"): void {
  const salt = rec.salt ?? randomSalt();
  const commitment = computeCommitment(rec.jobId, ctx.me, cidDigest(parseCid(result.resultCid)), salt);
  ctx.journal.update(rec.jobId, { phase, salt, commitment, resultCid: result.resultCid, sealedCid: result.sealedCid, fuelUsed: result.fuelUsed });
}


/** Where this node fetches a job's content from, within its limits (see loadJob). */
export function loadParameters(ctx: StepContext, rec: JobRecord, signal: AbortSignal): LoadJobParameters {
  return {
    content: ctx.content,
    manifestCid: parseCid(rec.manifestCid!),
    limits: ctx.limits,
    from: ctx.contentPeers(),
    validated: ctx.validModules,
    hint: ctx.holders.get(rec.requester),
    onHolder: (holder) => ctx.holders.set(rec.requester, holder),
    signal,
  };
}

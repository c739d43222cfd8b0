import { ContentNotFoundError, ContentTooLargeError, InvalidCidError, parseCid } from "@accord/client/content";
import { ContractRevertedError, readJob } from "@accord/client/chain";
import { InvalidManifestError } from "@accord/client/manifest";
import { InvalidJobError, InvalidModuleError } from "@accord/client/sandbox";
import type { JobRecord } from "../journal/journal.ts";
import { CAPACITY_PHASES } from "../journal/phases.ts";
import { decideBid, precheck, type BidJob } from "../market/policy.ts";
import { executeJob } from "../work/execute.ts";
import { fetchManifest, loadJob, type LoadedJob } from "../work/load.ts";
import { journalCommitment, type StepContext } from "./context.ts";

/** Errors that mean "this job is bad", not "try again": they decline the job with their message. */
function isJobProblem(err: unknown): boolean {
  return (
    err instanceof InvalidManifestError ||
    err instanceof InvalidModuleError ||
    err instanceof InvalidJobError ||
    err instanceof ContentTooLargeError ||
    err instanceof InvalidCidError ||
    err instanceof ContentNotFoundError
  );
}

function decline(ctx: StepContext, rec: JobRecord, rule: string, reason: string): false {
  ctx.journal.update(rec.jobId, { phase: "declined", reason });
  ctx.metrics.declines.inc({ rule });
  ctx.log.info({ jobId: rec.jobId.toString(), rule, reason }, "declined job");
  return false;
}

/**
 * Decides whether to bid for a newly posted job: cheap checks first (lists, deadline,
 * reputation), then the manifest and inputs are fetched within this node's limits and the
 * module validated, then price and capacity. Ends in "bidding" (the bid is sent by the next
 * step) or "declined" with the reason in the journal and the log.
 */
export async function evaluate(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  try {
    return await evaluateJob(ctx, rec);
  } finally {
    ctx.posted.delete(rec.jobId);
  }
}

async function evaluateJob(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  const { chain, policy } = ctx;
  const posted = ctx.posted.get(rec.jobId);
  let job: BidJob;
  if (posted) {
    // Just posted (a live event): open, with the terms the event carries.
    job = { ...posted, collateralRatioBps: await ctx.reads.collateralRatioBps() };
  } else {
    let info;
    try {
      info = await readJob(chain.client, chain.market, rec.jobId);
    } catch (err) {
      if (err instanceof ContractRevertedError && err.errorName === "JobNotFound") return decline(ctx, rec, "gone", "the job no longer exists");
      throw err;
    }
    if (info.state !== "Open") return decline(ctx, rec, "closed", `the job is ${info.state}, no longer taking bids`);
    job = {
      requester: info.requester,
      maxPrice: info.maxPrice,
      minReputation: info.minReputation,
      bidDeadline: Number(info.deadline),
      commitWindow: info.commitWindow,
      collateralRatioBps: info.collateralRatioBps,
    };
  }
  const { info: me, readAtMs } = await ctx.reads.ownRecord();
  if (!me.registered) return decline(ctx, rec, "unregistered", "this node is not registered (run `accord-provider register`)");
  const early = precheck(job, { chainNow: ctx.clock.now(), reputation: me.score }, policy);
  if (early) return decline(ctx, rec, "precheck", early);

  // Fetching may not outlast the bidding itself.
  const secondsLeft = Math.max(1, job.bidDeadline - ctx.clock.now());
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(secondsLeft * 1000)]);
  let loaded;
  try {
    loaded = await ctx.evaluations.use(async () => {
      const load = { content: ctx.content, manifestCid: parseCid(rec.manifestCid!), limits: ctx.limits, from: ctx.contentPeers(), signal };
      const manifest = await fetchManifest(load);
      return loadJob(load, manifest);
    });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    if (isJobProblem(err)) return decline(ctx, rec, "content", (err as { shortMessage?: string }).shortMessage ?? (err as Error).message);
    if (signal.aborted) return decline(ctx, rec, "content", "the manifest and inputs could not be fetched before the bid deadline");
    throw err;
  }

  // The k bids came in while we fetched: the job is no longer ours to win.
  if (ctx.awardSeen.has(rec.jobId)) return decline(ctx, rec, "closed", "the job was awarded before this node could bid");
  // From here to the journal write there is no await, so concurrent evaluations see each other's reservations.
  const active = ctx.journal.active();
  // A job already run for a committed bid holds no sandbox time any more.
  const queued = active.filter((r) => CAPACITY_PHASES.includes(r.phase) && r.commitment === undefined);
  const decision = decideBid(
    job,
    loaded.manifest,
    { moduleBytes: loaded.moduleBytes, inputBytes: loaded.inputBytes },
    { chainNow: ctx.clock.now(), reputation: me.score, freeStake: me.free - reservedCollateral(active, readAtMs, job.collateralRatioBps), queuedJobs: queued.length, queuedRunMs: queued.reduce((n, r) => n + (r.estRunMs ?? 0), 0) },
    policy,
  );
  if (!decision.bid) return decline(ctx, rec, ruleOf(decision.reason), decision.reason);
  ctx.journal.update(rec.jobId, { phase: "bidding", price: decision.price, estRunMs: decision.estRunMs });
  if (speculates(ctx, loaded.manifest.limits.fuel)) await runBeforeBid(ctx, rec, loaded, signal);
  return true;
}

/**
 * Whether to run the job before bidding and bid with the commitment. The faults that act
 * between the award and the commit need the two-phase path to be observable.
 */
function speculates(ctx: StepContext, fuel: number): boolean {
  return fuel <= ctx.limits.bidAndCommitMaxFuel && ctx.fault !== "copy-commit" && ctx.fault !== "silent-after-award";
}

/**
 * The speculative run: salt, result and commitment are journalled (flushed before the bid is sent) while the phase
 * stays "bidding", so the bid that follows (now or after a restart) is a bidAndCommit with this
 * commitment and a restart can still reveal. A run that fails leaves a plain bid: the winner
 * runs again after the award, with the retries and deadline checks of that path.
 */
async function runBeforeBid(ctx: StepContext, rec: JobRecord, loaded: LoadedJob, signal: AbortSignal): Promise<void> {
  try {
    // Not sealed: most committed bids lose the auction. The winners seal at the reveal (ensureSealed).
    const result = await executeJob({ pool: ctx.pool, jobId: rec.jobId, job: loaded.job, fault: ctx.fault, signal });
    ctx.metrics.runs.inc({ status: result.status.kind });
    ctx.metrics.sandboxSeconds.observe(result.runMs / 1000);
    ctx.metrics.fuel.inc(result.fuelUsed);
    ctx.unsealed.set(rec.jobId, { plaintext: result.plaintext, recipientPublicKey: loaded.manifest.resultPublicKey });
    journalCommitment(ctx, { ...rec, phase: "bidding" }, result, "bidding");
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    ctx.metrics.runErrors.inc();
    ctx.log.warn({ jobId: rec.jobId.toString(), err: (err as Error).message }, "the run before the bid failed; bidding without a commitment");
  }
}

/**
 * Collateral of bids the provider record read at `readAtMs` does not show: those about to be
 * sent, and those sent since the read (the record is shared for ownRecordMaxAgeMs).
 */
function reservedCollateral(active: readonly JobRecord[], readAtMs: number, ratioBps: number): bigint {
  return active
    .filter((r) => r.phase === "bidding" || (r.phase === "bid" && r.updatedAtMs >= readAtMs))
    .reduce((n, r) => n + ((r.price ?? 0n) * BigInt(ratioBps)) / 10_000n, 0n);
}

function ruleOf(reason: string): string {
  if (reason.includes("capacity") || reason.includes("commit window") || reason.includes("backstop")) return "capacity";
  if (reason.includes("pays at most")) return "price";
  if (reason.includes("stake")) return "stake";
  return "limits";
}

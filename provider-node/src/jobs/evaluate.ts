import { ContentNotFoundError, ContentTooLargeError, InvalidCidError } from "@accord/client/content";
import { InvalidManifestError } from "@accord/client/manifest";
import { InvalidJobError, InvalidModuleError } from "@accord/client/sandbox";
import type { JobRecord } from "../journal/journal.ts";
import type { Manifest } from "@accord/client/manifest";
import type { DeclineReason } from "@accord/client/net";
import { collateralOf, decideBid, precheck, type BidInputs, type BidJob } from "../market/policy.ts";
import { executeJob } from "../work/execute.ts";
import { fetchManifest, loadJob, type LoadedJob } from "../work/load.ts";
import { journalCommitment, loadParameters, type StepContext } from "./context.ts";
import type { WaitingJob } from "./waiting.ts";
import type { PostedJob } from "./knowledge.ts";
import type { MarketParameters } from "@accord/client/chain";
import { LOG_EVENTS } from "../log-events.ts";
import { setTimeout as sleep } from "node:timers/promises";

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

/** The metric label of a decline: its rule for policy declines, "content" for what could not be fetched or loaded. */
function ruleOf(reason: DeclineReason): string {
  if (reason.code === "policy") return reason.rule;
  if (reason.code === "manifest") return "content";
  return reason.code;
}

function decline(ctx: StepContext, rec: JobRecord, reason: DeclineReason): false {
  ctx.known.stopWaiting(rec.jobId);
  ctx.declineBook.set(rec.jobId, [reason]);
  ctx.journal.update(rec.jobId, { phase: "declined", reason: reason.message });
  ctx.metrics.declines.inc({ rule: ruleOf(reason) });
  ctx.log.info({ event: LOG_EVENTS.declined, jobId: rec.jobId.toString(), rule: ruleOf(reason), reason: reason.message }, "declined job");
  return false;
}

const policyDecline = (rule: string, message: string): DeclineReason => ({ code: "policy", rule, message });

/**
 * Decides whether to bid for a newly posted job: cheap checks first (lists, deadline,
 * reputation), then the manifest and inputs are fetched within this node's limits and the
 * module validated, then price and capacity. Ends in "bidding" (the bid is sent by the next
 * step), "declined" with the reason in the journal and the log, or, when only the node's load
 * stands in the way, waiting in ctx.known to be decided again (reconsider).
 */
export async function evaluate(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  const waiting = ctx.known.waitingJob(rec.jobId);
  if (waiting) return reconsider(ctx, rec, waiting);
  try {
    return await evaluateJob(ctx, rec);
  } finally {
    ctx.known.evaluated(rec.jobId);
  }
}

async function evaluateJob(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  const { policy } = ctx;
  const posted = ctx.known.postedTerms(rec.jobId);
  let job: BidJob;
  if (posted) {
    // Just posted (a live event): open, with the terms the event carries.
    const market = await ctx.reads.marketParameters();
    job = { ...posted, collateralRatioBps: market.collateralRatioBps };
    ctx.known.poolClosesAt(rec.jobId, poolCloseOf(posted, market));
  } else {
    const info = await ctx.jobChain.job(rec.jobId);
    if (!info) return decline(ctx, rec, policyDecline("gone", "the job no longer exists"));
    if (info.state !== "Open") return decline(ctx, rec, policyDecline("bidding-closed", `the job is ${info.state}, no longer taking bids`));
    ctx.known.bidsRead(rec.jobId, info.bids);
    ctx.known.replicas.set(rec.jobId, info.replicas);
    job = {
      requester: info.requester,
      maxPrice: info.maxPrice,
      minReputation: info.minReputation,
      bidDeadline: Number(info.deadline),
      commitWindow: info.commitWindow,
      collateralRatioBps: info.collateralRatioBps,
    };
  }
  // A node behind (busy, or slow to see the post) reaches jobs whose pools closed full: nothing to read, fetch or run.
  const late = othersFilled(ctx, rec, "before this node reached it");
  if (late) return decline(ctx, rec, late);
  const { info: me } = await ctx.reads.ownRecord();
  if (!me.registered) return decline(ctx, rec, policyDecline("unregistered", "this node is not registered (run `accord-provider register`)"));
  const early = precheck(job, { chainNow: ctx.clock.now(), reputation: me.score }, policy);
  if (early) return decline(ctx, rec, early);

  // Fetching may not outlast the bidding itself.
  const signal = bidSignal(ctx, job);
  let loaded;
  try {
    loaded = await loadUntilDeadline(ctx, rec, signal);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    if (isJobProblem(err)) {
      const error = (err as { shortMessage?: string }).shortMessage ?? (err as Error).message;
      return decline(ctx, rec, { code: "manifest", message: `the job cannot be run here: ${error}`, error });
    }
    if (signal.aborted) {
      const error = "the manifest and inputs could not be fetched before the bid deadline";
      return decline(ctx, rec, { code: "manifest", message: error, error });
    }
    throw err;
  }

  // The k bids came in while we fetched: the job is no longer ours to win.
  const filled = othersFilled(ctx, rec, "while this node fetched it");
  if (filled) return decline(ctx, rec, filled);
  const inputs = { moduleBytes: loaded.moduleBytes, inputBytes: loaded.inputBytes };
  const decided = await decide(ctx, rec, job, loaded.manifest, inputs);
  if (!decided) return false;
  if (speculates(ctx, rec.jobId, loaded.manifest.limits.fuel)) await runBeforeBid(ctx, rec, loaded, signal);
  return bidUnlessAwarded(ctx, rec);
}

/** After a run before the bid: a job others filled meanwhile is declined, not bid for (the market would refuse the bid). */
function bidUnlessAwarded(ctx: StepContext, rec: JobRecord): boolean {
  const filled = othersFilled(ctx, rec, "while this node ran it before bidding");
  if (!filled) return true;
  ctx.known.dropUnsealed(rec.jobId);
  return decline(ctx, rec, filled);
}

/**
 * Why a bid sent now would be refused because other providers filled the job, if it would: the job
 * was awarded, or its pool closed holding its k bids (JobKnowledge.poolClosedFull). `when` says
 * what this node was doing meanwhile.
 */
function othersFilled(ctx: StepContext, rec: JobRecord, when: string): DeclineReason | undefined {
  if (ctx.known.awarded(rec.jobId)) return policyDecline("awarded", `the job was awarded to others ${when}`);
  if (ctx.known.poolClosedFull(rec.jobId, ctx.clock.nextBlockAtLeast())) {
    return policyDecline("pool-closed", `the job's pool closed with its ${ctx.known.replicas.get(rec.jobId)} bids ${when}; the replicas are drawn from them`);
  }
  return undefined;
}

/**
 * Where a job's first pool closes, from its JobPosted and the market's parameters: an award-on-fill
 * job's event gives the fill deadline, which comes the fill timeout's rest after the pool window
 * (JobBoard._post). Parameters the owner changed since the post move it; the bid the node then
 * wrongly holds back, or sends in vain, costs a job, not funds.
 */
export function poolCloseOf(posted: PostedJob, market: Pick<MarketParameters, "fillTimeout" | "poolWindow">): number {
  if (!posted.awardOnFill) return posted.bidDeadline;
  return posted.bidDeadline - Math.max(0, market.fillTimeout - market.poolWindow);
}

/**
 * A waiting job, decided again because the node's load changed (JobDriver.reconsiderWaiting).
 * Nothing is fetched or read but the node's own record: the terms and manifest are the ones
 * it evaluated, and the bid's simulation refuses a job that is no longer open.
 */
async function reconsider(ctx: StepContext, rec: JobRecord, w: WaitingJob): Promise<boolean> {
  const filled = othersFilled(ctx, rec, `while this node waited (${w.reason.message})`);
  if (filled) return decline(ctx, rec, filled);
  if (ctx.clock.now() >= w.job.bidDeadline) return decline(ctx, rec, { ...w.reason, message: `bidding closed while this node waited: ${w.reason.message}` });
  if (!(await decide(ctx, rec, w.job, w.manifest, w.inputs))) return false;
  ctx.log.info({ event: LOG_EVENTS.bidAfterWaiting, jobId: rec.jobId.toString(), waitedFor: w.reason.code }, "bidding for a job that waited for capacity");
  if (speculates(ctx, rec.jobId, w.manifest.limits.fuel)) {
    const signal = bidSignal(ctx, w.job);
    try {
      // Already fetched and validated at the evaluation: local reads, so no evaluation slot. In a
      // burst all eight slots wait on requesters' content, and a waiting job's reload queued behind
      // them for 0.5-2.7 s (bench:realchain, 226 of 410 bids came this way); at most a queue's room
      // of waiting jobs are reconsidered at once (JobDriver.reconsiderWaiting).
      const loaded = await load(ctx, rec, signal);
      await runBeforeBid(ctx, rec, loaded, signal);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      ctx.log.warn({ jobId: rec.jobId.toString(), err: (err as Error).message }, "could not load the job again to run it before the bid; bidding without a commitment");
    }
  }
  return bidUnlessAwarded(ctx, rec);
}

/**
 * Price and capacity against the node's state now. Bids ("bidding"), waits (ctx.known.wait) or
 * declines; returns whether it bids. From the journal read to its write there is no await, so
 * concurrent evaluations see each other's reservations.
 */
async function decide(ctx: StepContext, rec: JobRecord, job: BidJob, manifest: Manifest, inputs: BidInputs): Promise<boolean> {
  const { info: me, readAtMs } = await ctx.reads.ownRecord();
  // A job already run for a committed bid holds no sandbox time any more (queuedLoad counts neither).
  const queued = ctx.journal.queuedLoad();
  const decision = decideBid(
    job,
    manifest,
    inputs,
    { chainNow: ctx.clock.now(), reputation: me.score, freeStake: me.free - reservedCollateral(ctx, readAtMs, job.collateralRatioBps), stake: me.stake, queuedJobs: queued.jobs, queuedRunMs: queued.runMs },
    ctx.policy,
  );
  if (decision.bid) {
    ctx.known.stopWaiting(rec.jobId);
    ctx.journal.update(rec.jobId, { phase: "bidding", price: decision.price, estRunMs: decision.estRunMs });
    return true;
  }
  if (!decision.retry) return decline(ctx, rec, decision.reason);
  if (!ctx.known.waitingJob(rec.jobId)) ctx.log.info({ jobId: rec.jobId.toString(), rule: decision.reason.code, reason: decision.reason.message }, "waiting for capacity to bid");
  ctx.known.wait(rec.jobId, { job, manifest, inputs, replicas: ctx.known.replicas.get(rec.jobId) ?? 1, holdsSlot: !speculates(ctx, rec.jobId, manifest.limits.fuel), reason: decision.reason });
  return false;
}

function bidSignal(ctx: StepContext, job: BidJob): AbortSignal {
  const secondsLeft = Math.max(1, job.bidDeadline - ctx.clock.now());
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(secondsLeft * 1000)]);
}

/**
 * load, tried again while no peer serves the job's content and its bidding is open. The
 * evaluation slot is given back between attempts, so a requester that is slow to answer holds up
 * none of the other jobs. While it tries, a requester that asks why this node has not bid hears
 * what failed (the decline book, read by declinesStatement as "evaluating" with a reason).
 */
async function loadUntilDeadline(ctx: StepContext, rec: JobRecord, signal: AbortSignal): Promise<LoadedJob> {
  for (let attempt = 0; ; attempt++) {
    try {
      const loaded = await ctx.evaluations.use(() => load(ctx, rec, signal));
      if (attempt > 0) ctx.declineBook.delete(rec.jobId);
      return loaded;
    } catch (err) {
      if (!(err instanceof ContentNotFoundError) || signal.aborted || ctx.known.awarded(rec.jobId)) throw err;
      const delayMs = Math.min(ctx.limits.contentRetryMaxMs, ctx.limits.contentRetryFirstMs * 2 ** attempt);
      const message = `could not fetch the job's content yet (${err.shortMessage}); this node tries again until the bid deadline, so keep your node online and connected`;
      ctx.declineBook.set(rec.jobId, [{ code: "manifest", message, error: err.shortMessage }]);
      ctx.log.info({ event: LOG_EVENTS.contentRetry, jobId: rec.jobId.toString(), attempt: attempt + 1, retryInMs: delayMs, err: err.shortMessage }, "could not fetch the job's content yet; trying again");
      try {
        await sleep(delayMs, undefined, { signal });
      } catch {
        // Bidding closed (or the node stops) while waiting: the last failure is the reason.
        throw err;
      }
    }
  }
}

async function load(ctx: StepContext, rec: JobRecord, signal: AbortSignal): Promise<LoadedJob> {
  const p = loadParameters(ctx, rec, signal);
  return loadJob(p, await fetchManifest(p));
}

/** Whether to run the job before bidding and bid with the commitment: light jobs, unless the node's behaviour bids in two phases. */
function speculates(ctx: StepContext, jobId: bigint, fuel: number): boolean {
  return fuel <= ctx.limits.bidAndCommitMaxFuel && ctx.behaviour.bidsWithCommitment(jobId);
}

/**
 * The speculative run: salt, result and commitment are journalled (flushed before the bid is sent) while the phase
 * stays "bidding", so the bid that follows (now or after a restart) is a bidAndCommit with this
 * commitment and a restart can still reveal. A run that fails leaves a plain bid: the winner
 * runs again after the award, with the retries and deadline checks of that path.
 */
async function runBeforeBid(ctx: StepContext, rec: JobRecord, loaded: LoadedJob, signal: AbortSignal): Promise<void> {
  const award = ctx.known.untilAwarded(rec.jobId);
  try {
    // Not sealed: most committed bids lose the auction. The winners seal at the reveal (ensureSealed).
    const result = await executeJob({ pool: ctx.pool, jobId: rec.jobId, job: loaded.job, behaviour: ctx.behaviour, signal: AbortSignal.any([signal, award.signal]) });
    ctx.metrics.runs.inc({ status: result.status.kind });
    ctx.metrics.sandboxSeconds.observe(result.runMs / 1000);
    ctx.metrics.fuel.inc(result.fuelUsed);
    ctx.known.holdUnsealed(rec.jobId, { plaintext: result.plaintext, recipientPublicKey: loaded.manifest.resultPublicKey });
    journalCommitment(ctx, { ...rec, phase: "bidding" }, result, "bidding");
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    // Drawn without this node while it waited for a sandbox or ran: the step after declines the job.
    if (award.signal.aborted) return;
    ctx.metrics.runErrors.inc();
    ctx.log.warn({ jobId: rec.jobId.toString(), err: (err as Error).message }, "the run before the bid failed; bidding without a commitment");
  } finally {
    award.release();
  }
}

/**
 * Collateral of bids the provider record read at `readAtMs` does not show: those about to be
 * sent, and those sent since the read (the record is shared for ownRecordMaxAgeMs).
 */
function reservedCollateral(ctx: StepContext, readAtMs: number, ratioBps: number): bigint {
  // The contract locks the job's collateral (its max price at the ratio), whatever the bid; a
  // job seen before this run's events (replayed from the journal) is sized from its bid, a floor.
  return ctx.journal
    .bidsSince(readAtMs)
    .reduce((n, r) => n + collateralOf({ maxPrice: ctx.known.postedTerms(r.jobId)?.maxPrice ?? r.price ?? 0n, collateralRatioBps: ratioBps }), 0n);
}

import { isAddressEqual } from "viem";
import { randomSalt } from "@accord/client/chain";
import { NondeterministicFailureError, SandboxCrashedError, WallClockTimeoutError, SandboxBusyError } from "@accord/client/sandbox";
import type { AwardPlan, WinnerView } from "../behaviour.ts";
import type { JobRecord } from "../journal/journal.ts";
import { executeJob, sealAndStore } from "../work/execute.ts";
import { loadJob } from "../work/load.ts";
import { finish, jobState, journalCommitment, loadParameters, myReplica, type StepContext } from "./context.ts";
import { LOG_EVENTS } from "../log-events.ts";

/**
 * The replica's work: fetch (from the local store, filled when the node evaluated the job),
 * run in the worker pool, seal to the requester, pin, and journal salt + result + commitment
 * before the commit is sent. Aborts if the commit deadline passes first.
 */
export async function runReplica(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  const log = ctx.log.child({ jobId: rec.jobId.toString() });
  const info = await jobState(ctx, rec.jobId);
  if (!info || info.terminal) return finish(ctx, rec, "settled", `the job ended ${info?.state ?? "(record reused)"} before we committed`);
  if (info.state !== "Committing") {
    log.warn({ state: info.state }, "the commit phase is over and this node never committed; waiting for settlement");
    ctx.wakeAt(rec.jobId, Number(info.deadline));
    return false;
  }
  const commitDeadline = Number(info.deadline);

  const plan = await ctx.behaviour.afterAward(rec.jobId, () => otherWinners(ctx, rec.jobId));
  if (plan.do !== "run") return actOtherwise(ctx, rec, commitDeadline, plan);

  // Leave a few seconds for the commit transaction itself.
  const msLeft = (commitDeadline - ctx.clock.now() - 2) * 1000;
  if (msLeft <= 0) {
    ctx.wakeAt(rec.jobId, commitDeadline);
    return false;
  }
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(msLeft)]);
  try {
    const loaded = await loadJob(loadParameters(ctx, rec, signal));
    const result = await executeJob({ pool: ctx.pool, jobId: rec.jobId, job: loaded.job, behaviour: ctx.behaviour, signal });
    // An awarded replica: sealed at once, the sealed CID journalled with the commitment.
    const sealedCid = await sealAndStore({ content: ctx.content, jobId: rec.jobId, plaintext: result.plaintext, recipientPublicKey: loaded.manifest.resultPublicKey, signal });
    ctx.metrics.runs.inc({ status: result.status.kind });
    ctx.metrics.sandboxSeconds.observe(result.runMs / 1000);
    ctx.metrics.fuel.inc(result.fuelUsed);
    journalCommitment(ctx, rec, { ...result, sealedCid });
    ctx.runAttempts.reset(rec.jobId);
    log.info({ resultCid: result.resultCid, fuelUsed: result.fuelUsed, runMs: Math.round(result.runMs), status: result.status }, "ran the job");
    return true;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    ctx.metrics.runErrors.inc();
    const n = ctx.runAttempts.failed(rec.jobId);
    const machineFault = err instanceof WallClockTimeoutError || err instanceof SandboxCrashedError || err instanceof NondeterministicFailureError;
    if (signal.aborted || (machineFault && n >= ctx.limits.maxRunAttempts)) {
      ctx.runAttempts.reset(rec.jobId);
      log.error({ event: LOG_EVENTS.runFailed, error: (err as Error).name, final: true, err, attempts: n }, "no result before the commit deadline; the replica will be slashed as MissedCommit");
      return finish(ctx, rec, "failed", `no result: ${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message}`);
    }
    log.warn({ event: LOG_EVENTS.runFailed, error: (err as Error).name, final: false, err: (err as Error).message, attempts: n }, "run failed; retrying");
    ctx.retryIn(rec.jobId, err instanceof SandboxBusyError ? ctx.limits.stepRetryMs : ctx.limits.stepRetryMs * n);
    return false;
  }
}

async function otherWinners(ctx: StepContext, jobId: bigint): Promise<WinnerView[]> {
  return ((await ctx.jobChain.replicas(jobId)) ?? []).filter((r) => !isAddressEqual(r.provider, ctx.me));
}

/** A replica won but not run, as the node's behaviour planned (only fault modes do this). */
async function actOtherwise(ctx: StepContext, rec: JobRecord, commitDeadline: number, plan: Exclude<AwardPlan, { do: "run" }>): Promise<boolean> {
  const fields = { event: LOG_EVENTS.fault, jobId: rec.jobId.toString(), fault: ctx.behaviour.name };
  switch (plan.do) {
    case "nothing":
      ctx.log.warn({ ...fields, deviation: "nothing-after-award" }, plan.message);
      ctx.wakeAt(rec.jobId, commitDeadline);
      return false;
    case "wait":
      if (ctx.clock.now() < commitDeadline) ctx.retryIn(rec.jobId, ctx.limits.pollIntervalMs);
      else ctx.wakeAt(rec.jobId, commitDeadline);
      return false;
    case "commit":
      if (!(await myReplica(ctx, rec.jobId))?.committed) {
        ctx.log.warn({ ...fields, deviation: "copy-commitment", copiedFrom: plan.from }, plan.message);
        // A salt of its own, so the commit step runs as for any result; the reveal never opens the commitment.
        ctx.journal.update(rec.jobId, { phase: "committing", salt: randomSalt(), commitment: plan.commitment });
      }
      return true;
  }
}

/** The reveal and the wait for settlement: phases "committed" and "revealed". */
import { cidToHex } from "@accord/client/chain";
import { ResultNotReproducedError } from "../errors.ts";
import type { JobRecord } from "../journal/journal.ts";
import { provideQuietly } from "./commit.ts";
import { finish, jobState, myReplica, type StepContext } from "./context.ts";
import { market, pushPastDeadline } from "./market-call.ts";
import { ensureSealed } from "./seal.ts";
import { LOG_EVENTS } from "../log-events.ts";

export async function sendReveal(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  try {
    return await revealStep(ctx, rec);
  } catch (err) {
    if (!(err instanceof ResultNotReproducedError)) throw err;
    ctx.log.error({ jobId: rec.jobId.toString(), err }, "cannot reveal: the committed result could not be reproduced to seal it");
    return finish(ctx, rec, "failed", err.shortMessage);
  }
}

/**
 * Seals the result (only now, when the reveal is due: a committed bid that lost the auction never
 * seals), announces the sealed result and sends the reveal. Returns the record as sealed.
 * ResultNotReproducedError when the result cannot be sealed.
 */
export async function revealCall(ctx: StepContext, rec: JobRecord, timing: Parameters<typeof market>[4] = {}): Promise<{ rec: JobRecord; res: Awaited<ReturnType<typeof market>> }> {
  const sealed = await ensureSealed(ctx, rec);
  if (sealed !== rec && ctx.limits.announceResults) void provideQuietly(ctx, sealed.sealedCid!);
  const res = await market(ctx, sealed, "reveal", [sealed.jobId, cidToHex(sealed.resultCid!), sealed.salt!, cidToHex(sealed.sealedCid!)], timing);
  return { rec: sealed, res };
}

async function revealStep(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  const reveal = async (timing: Parameters<typeof market>[4] = {}) => {
    const out = await revealCall(ctx, rec, timing);
    rec = out.rec;
    return out.res;
  };
  // A commitment with no result of ours behind it (a copied one) cannot be opened either.
  const byFault = ctx.behaviour.withholdReveal(rec.jobId);
  const withheld = byFault ?? (rec.resultCid === undefined ? "no result in the journal to reveal" : undefined);
  const honest = withheld === undefined;
  // The chain said the phase is open: reveal without reading first (a refusal falls through to the reads).
  if (honest && ctx.known.revealIsOpen(rec.jobId)) {
    const res = await reveal();
    if (res.ok || res.error === "AlreadyRevealed") return revealed(ctx, rec);
  }
  const info = await jobState(ctx, rec.jobId);
  if (!info || info.terminal) return finish(ctx, rec, "settled", "the job settled");
  const revealable = info.state === "Revealing" || (info.state === "Committing" && ctx.clock.now() >= Number(info.deadline));
  if (!revealable) {
    ctx.wakeAt(rec.jobId, Number(info.deadline));
    return false;
  }
  if ((await myReplica(ctx, rec.jobId))?.revealed) {
    ctx.journal.update(rec.jobId, { phase: "revealed" });
    return true;
  }
  if (info.state === "Committing" && info.commits < info.quorum) return pushPastDeadline(ctx, rec, info, "claim");
  if (!honest) {
    ctx.log.warn({ ...(byFault === undefined ? {} : { event: LOG_EVENTS.fault, deviation: "withhold-reveal" }), jobId: rec.jobId.toString(), fault: ctx.behaviour.name }, withheld);
    if (info.state === "Revealing") ctx.wakeAt(rec.jobId, Number(info.deadline) + ctx.limits.claimGraceSeconds);
    return false;
  }
  // Past the commit deadline the reveal opens the phase itself: as of the node's clock, which the
  // next block reaches (chain-time.ts), not the last block's.
  const res = await reveal(info.state === "Committing" ? { at: ctx.clock.now() } : {});
  if (res.ok || res.error === "AlreadyRevealed") return revealed(ctx, rec);
  if (res.error === "DeadlineNotReached" || res.error === "TooFewCommits") {
    ctx.retryIn(rec.jobId, ctx.limits.stepRetryMs);
    return false;
  }
  if (res.error === "DeadlinePassed" || res.error === "WrongJobState" || res.error === "Reverted") return true;
  throw res.err;
}

export function revealed(ctx: StepContext, rec: JobRecord): false {
  ctx.metrics.reveals.inc();
  ctx.journal.update(rec.jobId, { phase: "revealed", revealedAtMs: Date.now() });
  if (rec.awardedAtMs) ctx.metrics.awardToReveal.observe((Date.now() - rec.awardedAtMs) / 1000);
  ctx.log.info({ event: LOG_EVENTS.revealed, jobId: rec.jobId.toString(), resultCid: rec.resultCid, sealedResultCid: rec.sealedCid }, "revealed");
  // ReplicaSettled / JobSettled finish the job; the chain is read only if neither comes.
  ctx.retryIn(rec.jobId, ctx.limits.eventFallbackMs);
  return false;
}

export async function awaitSettlement(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  const info = await jobState(ctx, rec.jobId);
  if (!info || info.terminal) return finish(ctx, rec, "settled", `the job ended ${info?.state ?? "(record reused)"}`);
  return pushPastDeadline(ctx, rec, info, info.state === "Revealing" ? "finalize" : "claim");
}

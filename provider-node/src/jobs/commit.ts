/** The commit of a replica's result: phase "committing", and what every way into "committed" does. */
import { parseCid } from "@accord/client/content";
import type { JobRecord } from "../journal/journal.ts";
import { finish, jobState, myReplica, type StepContext } from "./context.ts";
import { market } from "./market-call.ts";
import { LOG_EVENTS } from "../log-events.ts";

export async function sendCommit(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  // The usual case first, without reads: the estimate refuses a commit already made or out of phase.
  const first = await market(ctx, rec, "commit", [rec.jobId, rec.commitment!]);
  if (first.ok || first.error === "AlreadyCommitted") return committed(ctx, rec);
  const replica = await myReplica(ctx, rec.jobId);
  if (replica?.committed) {
    ctx.journal.update(rec.jobId, { phase: "committed" });
    return true;
  }
  const info = await jobState(ctx, rec.jobId);
  if (!info || info.terminal) return finish(ctx, rec, "settled", "the job settled before our commit");
  if (info.state !== "Committing") {
    ctx.log.warn({ jobId: rec.jobId.toString(), state: info.state }, "the commit phase ended before our commit; waiting for settlement");
    ctx.wakeAt(rec.jobId, Number(info.deadline));
    return false;
  }
  const res = await market(ctx, rec, "commit", [rec.jobId, rec.commitment!]);
  if (res.ok || res.error === "AlreadyCommitted") return committed(ctx, rec);
  if (res.error === "DeadlinePassed" || res.error === "WrongJobState" || res.error === "Reverted") return true;
  throw res.err;
}

export function committed(ctx: StepContext, rec: JobRecord, extra: { awardedAtMs?: number } = {}): true {
  ctx.metrics.commits.inc();
  ctx.journal.update(rec.jobId, { phase: "committed", ...extra });
  ctx.log.info({ event: LOG_EVENTS.committed, jobId: rec.jobId.toString() }, "committed");
  // A committed bid's result is sealed at the reveal (ensureSealed), and announced then.
  if (rec.sealedCid && ctx.limits.announceResults) void provideQuietly(ctx, rec.sealedCid);
  return true;
}

export async function provideQuietly(ctx: StepContext, cid: string): Promise<void> {
  try {
    await ctx.content.provide(parseCid(cid), { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.limits.provideTimeoutMs)]) });
  } catch (err) {
    // The requester can still fetch it from us directly (our address is on-chain).
    ctx.log.debug({ cid, err: (err as Error).message }, "could not announce the sealed result in the DHT");
  }
}

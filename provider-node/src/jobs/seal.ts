import { ResultNotReproducedError } from "../errors.ts";
import type { JobRecord } from "../journal/journal.ts";
import { executeJob, sealAndStore } from "../work/execute.ts";
import { loadJob } from "../work/load.ts";
import { loadParameters, type StepContext } from "./context.ts";
import { LOG_EVENTS } from "../log-events.ts";

/**
 * The sealed result a reveal names, made when the node first needs it. A committed bid runs
 * the job before the award, and most such runs lose the auction (k of n bidders win): sealing
 * (an X25519 agreement, pure JS) and storing the envelope are left to the winners. The
 * plaintext waits in memory (`ctx.known`); after a restart it is gone, and the job runs
 * again, deterministically, from the content fetched at evaluation, and must give the CID
 * the commitment holds. The sealed CID is journalled before the reveal that carries it.
 */
export async function ensureSealed(ctx: StepContext, rec: JobRecord): Promise<JobRecord> {
  if (rec.sealedCid || rec.resultCid === undefined) return rec;
  let held: { plaintext: Uint8Array; recipientPublicKey: string } | undefined = ctx.known.unsealedResult(rec.jobId);
  if (held === undefined) {
    const loaded = await loadJob(loadParameters(ctx, rec, ctx.signal));
    const run = await executeJob({ pool: ctx.pool, jobId: rec.jobId, job: loaded.job, behaviour: ctx.behaviour, signal: ctx.signal });
    if (run.resultCid !== rec.resultCid) throw new ResultNotReproducedError(rec.jobId, rec.resultCid, run.resultCid);
    held = { plaintext: run.plaintext, recipientPublicKey: loaded.manifest.resultPublicKey };
    ctx.log.info({ event: LOG_EVENTS.resealed, jobId: rec.jobId.toString(), resultCid: run.resultCid }, "ran the job again to seal the committed result");
  }
  const sealedCid = await sealAndStore({ content: ctx.content, jobId: rec.jobId, plaintext: held.plaintext, recipientPublicKey: held.recipientPublicKey, signal: ctx.signal });
  ctx.journal.update(rec.jobId, { sealedCid });
  ctx.known.dropUnsealed(rec.jobId);
  return { ...rec, sealedCid };
}

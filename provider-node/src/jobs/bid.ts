/** Bidding and the wait for the award: phases "bidding" and "bid". */
import type { JobRecord } from "../journal/journal.ts";
import { committed } from "./commit.ts";
import { finish, jobState, myReplica, type StepContext } from "./context.ts";
import { market, pushPastDeadline } from "./market-call.ts";
import { LOG_EVENTS } from "../log-events.ts";

export async function placeBid(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  // No reads first: the gas estimate is the check. A bid already placed (a restart after the
  // send) is AlreadyBid, a job no longer open is WrongJobState / BiddingClosed / JobNotFound,
  // and nothing the contract refuses is ever sent. A commitment in the journal was written
  // before any bid was sent, so the bid that is in (AlreadyBid) carries it.
  const committedBid = rec.commitment !== undefined;
  const res = committedBid ? await market(ctx, rec, "bidAndCommit", [rec.jobId, rec.price!, rec.commitment!]) : await market(ctx, rec, "bid", [rec.jobId, rec.price!]);
  if (res.ok || res.error === "AlreadyBid") {
    ctx.metrics.bids.inc();
    ctx.journal.update(rec.jobId, { phase: "bid" });
    ctx.log.info({ event: LOG_EVENTS.bidPlaced, jobId: rec.jobId.toString(), price: rec.price!.toString(), committed: committedBid }, "bid placed");
    if (ctx.known.awarded(rec.jobId)) return true;
    // The pool is drawn only when someone calls award after it closes, and every bidder does: the
    // next step reads when that is and sleeps until then (each later bid moves it, and wakes the job).
    return true;
  }
  if (res.error === "Reverted") return true;
  return finish(ctx, rec, "lost", `the market refused the bid: ${res.err.message.split("\n")[0]}`);
}

export async function awaitAward(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  if (ctx.known.wonByEvents(rec.jobId)) {
    // The award makes every bid left in the book a winner, and ours was never pushed out: no
    // reads. A bid that carried the commitment is the replica's commit.
    ctx.metrics.wins.inc();
    ctx.log.info({ event: LOG_EVENTS.won, jobId: rec.jobId.toString() }, "won a replica");
    if (rec.commitment !== undefined) return committed(ctx, rec, { awardedAtMs: Date.now() });
    ctx.journal.update(rec.jobId, { phase: "awarded", awardedAtMs: Date.now() });
    return true;
  }
  const info = await jobState(ctx, rec.jobId);
  if (!info) return finish(ctx, rec, "lost", "the job is gone");
  if (info.state === "Open") return pushPastDeadline(ctx, rec, info, "award");
  if (info.state === "Cancelled" || info.state === "Expired") return finish(ctx, rec, "lost", `the job was ${info.state}`);
  const replica = await myReplica(ctx, rec.jobId);
  if (!replica) return finish(ctx, rec, "lost", "another provider won");
  ctx.metrics.wins.inc();
  if (replica.committed && rec.commitment !== undefined) {
    // Our bid carried the commitment: the award made it the replica's commit.
    ctx.log.info({ event: LOG_EVENTS.won, jobId: rec.jobId.toString() }, "won a replica");
    return committed(ctx, rec, { awardedAtMs: Date.now() });
  }
  ctx.journal.update(rec.jobId, { phase: "awarded", awardedAtMs: Date.now() });
  ctx.log.info({ event: LOG_EVENTS.won, jobId: rec.jobId.toString() }, "won a replica");
  return true;
}

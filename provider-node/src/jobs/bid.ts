/** Bidding and the wait for the award: phases "bidding" and "bid". */
import { isAddressEqual } from "viem";
import type { JobInfo } from "@accord/client/chain";
import type { JobRecord } from "../journal/journal.ts";
import { committed } from "./commit.ts";
import { finish, jobState, myReplica, type StepContext } from "./context.ts";
import { market, pushPastDeadline, turnAmong } from "./market-call.ts";
import { revealCall, revealed } from "./reveal.ts";
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
    // The pool is drawn once it closes, by a bidder's reveal or award (awaitAward): the next step
    // reads when that is and sleeps until then (each later bid moves it, and wakes the job).
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
  if (info.state === "Open") return (await drawByReveal(ctx, rec, info)) ?? pushPastDeadline(ctx, rec, info, "award");
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

/**
 * The award riding in this node's reveal (PROTOCOL.md "Selection"): once the pool can be drawn and
 * every entry committed with its bid, a pool entry's reveal draws first and then counts as its
 * reveal, so the job needs no award transaction and its reveals can land in the block that draws.
 *
 * When the pool holds no more than the round's replicas, every entry is drawn: all of them reveal
 * at once, the first in the block draws, and the last settles the job there. A larger pool leaves
 * some entries out, and an entry's reveal mined after another's draw that left it out fails
 * (NotAReplica, inside the batch: the transaction stands): so the entries take turns as for
 * `award`, and the drawn ones that did not draw reveal when RevealOpened comes.
 *
 * Undefined when the job is not one to draw this way (a bid without a commitment, a pool with an
 * uncommitted entry or short of the quorum, a result this node will not reveal, a reveal the
 * market refused): the node then pushes `award`.
 */
async function drawByReveal(ctx: StepContext, rec: JobRecord, info: JobInfo): Promise<boolean | undefined> {
  if (rec.commitment === undefined || rec.resultCid === undefined || ctx.behaviour.withholdReveal(rec.jobId) !== undefined) return undefined;
  const now = ctx.clock.now();
  // An Open job's deadline is when its pool can be awarded (getJob).
  const awardAt = Number(info.deadline) + ctx.limits.claimGraceSeconds;
  if (now < awardAt) {
    ctx.wakeAt(rec.jobId, awardAt);
    return false;
  }
  const pool = await ctx.jobChain.replicas(rec.jobId);
  // A pool short of the quorum is expired by its award, which a reveal does not do (the contract
  // refuses it): `award` is sent for it.
  if (!pool?.length || pool.length < info.quorum || !pool.every((e) => e.committed) || !pool.some((e) => isAddressEqual(e.provider, ctx.me))) return undefined;
  if (pool.length > info.replicas) {
    const due = awardAt + turnAmong(rec.jobId, ctx.me, pool) * ctx.limits.pushTurnSeconds;
    if (now < due) {
      ctx.wakeAt(rec.jobId, due);
      return false;
    }
  }
  let sent: Awaited<ReturnType<typeof revealCall>>;
  try {
    sent = await revealCall(ctx, rec, { at: now, draws: true });
  } catch (err) {
    // The result cannot be sealed (ResultNotReproducedError): the award goes out as before, and the
    // reveal step meets the same error and ends the job as failed.
    ctx.log.warn({ jobId: rec.jobId.toString(), err: (err as Error).message }, "cannot draw the pool with this node's reveal; sending the award instead");
    return undefined;
  }
  const { res } = sent;
  if (res.ok || res.error === "AlreadyRevealed") {
    // Done in the block; whether this entry was drawn (its reveal counted) or left out (it only drew) the book says.
    if (!(await myReplica(ctx, rec.jobId))?.revealed) return true;
    const awardedAtMs = Date.now();
    ctx.metrics.wins.inc();
    ctx.metrics.commits.inc();
    ctx.log.info({ event: LOG_EVENTS.won, jobId: rec.jobId.toString(), drew: true }, "won a replica");
    ctx.journal.update(rec.jobId, { phase: "committed", awardedAtMs });
    return revealed(ctx, { ...sent.rec, awardedAtMs });
  }
  if (res.error === "DeadlineNotReached") {
    // The chain's clock is behind the node's: look again shortly.
    ctx.retryIn(rec.jobId, ctx.limits.stepRetryMs);
    return false;
  }
  // Mined and failed in its batch (another entry's reveal or award drew first): re-read.
  if (res.error === "Reverted") return true;
  // Refused before it was sent: drawn meanwhile (the award's simulation is refused too, and the
  // step re-reads), or a pool the reveal may not draw for a reason the node did not foresee: the
  // award then does it, so a refusal never leaves the job undrawn.
  return undefined;
}

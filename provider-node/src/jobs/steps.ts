import { encodePacked, keccak256, type Address } from "viem";
import { jobMarketAbi } from "@accord/client/abi";
import { cidToHex, type JobInfo } from "@accord/client/chain";
import { parseCid } from "@accord/client/content";
import { TransactionRevertedError } from "../chain/sender.ts";
import type { JobRecord } from "../journal/journal.ts";
import { finish, jobState, myReplica, type StepContext } from "./context.ts";
import { evaluate } from "./evaluate.ts";
import { runReplica } from "./run.ts";
import { ensureSealed } from "./seal.ts";
import { ResultNotReproducedError } from "../errors.ts";

/** One step of a job. Returns true when it moved the job on and another step should follow at once. */
export async function runStep(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  switch (rec.phase) {
    case "evaluating":
      return evaluate(ctx, rec);
    case "bidding":
      return placeBid(ctx, rec);
    case "bid":
      return awaitAward(ctx, rec);
    case "awarded":
      return runReplica(ctx, rec);
    case "committing":
      return sendCommit(ctx, rec);
    case "committed":
      return sendReveal(ctx, rec);
    case "revealed":
      return awaitSettlement(ctx, rec);
    default:
      return false;
  }
}

/**
 * Sends a market transaction for a job. Returns the contract's refusal (custom error name)
 * instead of throwing it, since a refusal is usually news about the job ("AlreadyCommitted").
 * A call that was mined and reverted (paid for, unlike a refusal at the estimate) is logged at
 * warn with its label, transaction and decoded reason before the step decides again.
 */
export async function market(ctx: StepContext, rec: JobRecord, functionName: "bid" | "bidAndCommit" | "award" | "commit" | "reveal" | "finalize" | "claim", args: readonly unknown[]): Promise<{ ok: true } | { ok: false; error: string; err: Error }> {
  try {
    const res = await ctx.jobChain.call({ functionName, args, label: `${functionName} job ${rec.jobId}`, replicas: ctx.known.replicas.get(rec.jobId) });
    if (res.ok) ctx.metrics.txs.inc({ function: functionName });
    else ctx.metrics.txErrors.inc({ function: functionName });
    if (!res.ok && res.err instanceof TransactionRevertedError) {
      const e = res.err;
      // Pushing a job past its deadline races the other replicas (they take turns, see
      // pushPastDeadline, but a slow block can still hold two turns): losing it cost one call
      // inside a batch and is no fault of ours.
      const lostRace = PUSHES.has(functionName) && e.reason === "WrongJobState";
      (lostRace ? ctx.log.info.bind(ctx.log) : ctx.log.warn.bind(ctx.log))(
        { jobId: rec.jobId.toString(), function: functionName, label: e.label, txHash: e.hash, reason: e.reason, gasUsed: e.gasUsed?.toString(), gasLimit: e.gasLimit?.toString() },
        lostRace ? "another party moved the job first" : "transaction reverted; the job re-reads the chain and tries again",
      );
    }
    return res;
  } catch (err) {
    ctx.metrics.txErrors.inc({ function: functionName });
    throw err;
  }
}

const PUSHES: ReadonlySet<string> = new Set(["award", "finalize", "claim"]);

/**
 * This node's turn to push a job past its deadline: its place among the job's bidders (its
 * replicas once awarded), ordered by a hash of job and address so the gas falls on a
 * different node each job. Every bidder pushing at once sent k calls of which k-1 failed in
 * the block (the first moved the job); one at a time, a node whose turn comes sees the job
 * moved and sends nothing, and a vanished node's turn passes to the next a little later.
 */
async function pushTurn(ctx: StepContext, jobId: bigint): Promise<number> {
  let parties: readonly { provider: Address }[];
  try {
    parties = (await ctx.jobChain.replicas(jobId)) ?? [];
  } catch {
    return 0; // the read failing must not keep the job from moving: push now, as before turns
  }
  const order = (a: Address) => keccak256(encodePacked(["uint256", "address"], [jobId, a]));
  const sorted = parties.map((p) => p.provider).sort((a, b) => (order(a) < order(b) ? -1 : 1));
  const mine = sorted.findIndex((a) => a.toLowerCase() === ctx.me.toLowerCase());
  return mine === -1 ? sorted.length : mine;
}

/** The node pushes a job whose deadline passed, after a grace that lets the interested party do it and in its turn. */
async function pushPastDeadline(ctx: StepContext, rec: JobRecord, info: JobInfo, fn: "award" | "finalize" | "claim"): Promise<boolean> {
  const grace = Number(info.deadline) + ctx.limits.claimGraceSeconds;
  if (ctx.clock.now() < grace) {
    ctx.wakeAt(rec.jobId, grace);
    return false;
  }
  const due = grace + (await pushTurn(ctx, rec.jobId)) * ctx.limits.pushTurnSeconds;
  if (ctx.clock.now() < due) {
    ctx.wakeAt(rec.jobId, due);
    return false;
  }
  const res = await market(ctx, rec, fn, [rec.jobId]);
  if (res.ok) {
    ctx.metrics.claims.inc();
    ctx.log.info({ jobId: rec.jobId.toString(), fn }, "pushed the job past its deadline");
    return true;
  }
  if (res.error === "DeadlineNotReached") {
    // Our clock ran ahead of the chain's: look again shortly.
    ctx.retryIn(rec.jobId, ctx.limits.stepRetryMs);
    return false;
  }
  return true; // someone else moved it; re-read
}

async function placeBid(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  // No reads first: the gas estimate is the check. A bid already placed (a restart after the
  // send) is AlreadyBid, a job no longer open is WrongJobState / BiddingClosed / JobNotFound,
  // and nothing the contract refuses is ever sent. A commitment in the journal was written
  // before any bid was sent, so the bid that is in (AlreadyBid) carries it.
  const committedBid = rec.commitment !== undefined;
  const res = committedBid ? await market(ctx, rec, "bidAndCommit", [rec.jobId, rec.price!, rec.commitment!]) : await market(ctx, rec, "bid", [rec.jobId, rec.price!]);
  if (res.ok || res.error === "AlreadyBid") {
    ctx.metrics.bids.inc();
    ctx.journal.update(rec.jobId, { phase: "bid" });
    ctx.log.info({ jobId: rec.jobId.toString(), price: rec.price!.toString(), committed: committedBid }, "bid placed");
    if (ctx.known.awarded(rec.jobId)) return true;
    // The pool is drawn only when someone calls award after it closes, and every bidder does: the
    // next step reads when that is and sleeps until then (each later bid moves it, and wakes the job).
    return true;
  }
  if (res.error === "Reverted") return true;
  return finish(ctx, rec, "lost", `the market refused the bid: ${res.err.message.split("\n")[0]}`);
}

async function awaitAward(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  if (ctx.known.wonByEvents(rec.jobId)) {
    // The award makes every bid left in the book a winner, and ours was never pushed out: no
    // reads. A bid that carried the commitment is the replica's commit.
    ctx.metrics.wins.inc();
    ctx.log.info({ jobId: rec.jobId.toString() }, "won a replica");
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
    ctx.log.info({ jobId: rec.jobId.toString() }, "won a replica");
    return committed(ctx, rec, { awardedAtMs: Date.now() });
  }
  ctx.journal.update(rec.jobId, { phase: "awarded", awardedAtMs: Date.now() });
  ctx.log.info({ jobId: rec.jobId.toString() }, "won a replica");
  return true;
}

async function sendCommit(ctx: StepContext, rec: JobRecord): Promise<boolean> {
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

function committed(ctx: StepContext, rec: JobRecord, extra: { awardedAtMs?: number } = {}): true {
  ctx.metrics.commits.inc();
  ctx.journal.update(rec.jobId, { phase: "committed", ...extra });
  ctx.log.info({ jobId: rec.jobId.toString() }, "committed");
  // A committed bid's result is sealed at the reveal (ensureSealed), and announced then.
  if (rec.sealedCid && ctx.limits.announceResults) void provideQuietly(ctx, rec.sealedCid);
  return true;
}

async function sendReveal(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  try {
    return await revealStep(ctx, rec);
  } catch (err) {
    if (!(err instanceof ResultNotReproducedError)) throw err;
    ctx.log.error({ jobId: rec.jobId.toString(), err }, "cannot reveal: the committed result could not be reproduced to seal it");
    return finish(ctx, rec, "failed", err.shortMessage);
  }
}

async function revealStep(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  // Sealed only now, when the reveal is due: a committed bid that lost the auction never seals.
  const reveal = async () => {
    const sealed = await ensureSealed(ctx, rec);
    if (sealed !== rec && ctx.limits.announceResults) void provideQuietly(ctx, sealed.sealedCid!);
    rec = sealed;
    return market(ctx, rec, "reveal", [rec.jobId, cidToHex(rec.resultCid!), rec.salt!, cidToHex(rec.sealedCid!)]);
  };
  // A commitment with no result of ours behind it (a copied one) cannot be opened either.
  const withheld = ctx.behaviour.withholdReveal(rec.jobId) ?? (rec.resultCid === undefined ? "no result in the journal to reveal" : undefined);
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
    ctx.log.warn({ jobId: rec.jobId.toString(), fault: ctx.behaviour.name }, withheld);
    if (info.state === "Revealing") ctx.wakeAt(rec.jobId, Number(info.deadline) + ctx.limits.claimGraceSeconds);
    return false;
  }
  const res = await reveal();
  if (res.ok || res.error === "AlreadyRevealed") return revealed(ctx, rec);
  if (res.error === "DeadlineNotReached" || res.error === "TooFewCommits") {
    ctx.retryIn(rec.jobId, ctx.limits.stepRetryMs);
    return false;
  }
  if (res.error === "DeadlinePassed" || res.error === "WrongJobState" || res.error === "Reverted") return true;
  throw res.err;
}

function revealed(ctx: StepContext, rec: JobRecord): false {
  ctx.metrics.reveals.inc();
  ctx.journal.update(rec.jobId, { phase: "revealed", revealedAtMs: Date.now() });
  if (rec.awardedAtMs) ctx.metrics.awardToReveal.observe((Date.now() - rec.awardedAtMs) / 1000);
  ctx.log.info({ jobId: rec.jobId.toString(), resultCid: rec.resultCid, sealedResultCid: rec.sealedCid }, "revealed");
  // ReplicaSettled / JobSettled finish the job; the chain is read only if neither comes.
  ctx.retryIn(rec.jobId, ctx.limits.eventFallbackMs);
  return false;
}

async function awaitSettlement(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  const info = await jobState(ctx, rec.jobId);
  if (!info || info.terminal) return finish(ctx, rec, "settled", `the job ended ${info?.state ?? "(record reused)"}`);
  return pushPastDeadline(ctx, rec, info, info.state === "Revealing" ? "finalize" : "claim");
}

async function provideQuietly(ctx: StepContext, cid: string): Promise<void> {
  try {
    await ctx.content.provide(parseCid(cid), { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.limits.provideTimeoutMs)]) });
  } catch (err) {
    // The requester can still fetch it from us directly (our address is on-chain).
    ctx.log.debug({ cid, err: (err as Error).message }, "could not announce the sealed result in the DHT");
  }
}


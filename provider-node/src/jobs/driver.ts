import { isAddressEqual, isHex, type Address } from "viem";
import { toJobEvent, type MarketEvent, type ReplicaOutcomeName } from "@accord/client/chain";
import type { JobRecord } from "../journal/journal.ts";
import { TERMINAL_PHASES } from "../journal/phases.ts";
import { isTransientRpcError } from "../chain/rpc.ts";
import { CachedReads } from "../chain/reads.ts";
import type { StepContext } from "./context.ts";
import { Semaphore } from "./semaphore.ts";
import { runStep } from "./steps.ts";
import type { DeclinesStatement } from "@accord/client/net";
import { RequesterHolders, ValidatedModules } from "../work/load.ts";
import { HONEST, type ProviderBehaviour } from "../behaviour.ts";
import type { ChainContext } from "../chain/clients.ts";
import { marketJobChain, type JobChain, type NodeReads } from "./job-chain.ts";
import { JobKnowledge } from "./knowledge.ts";
import { RunAttempts } from "./run-attempts.ts";
import { DeclineBook, declinesStatement } from "./waiting.ts";
import { LOG_EVENTS } from "../log-events.ts";
import { maxQueued } from "../market/policy.ts";
import type { LogPosition } from "./job-log.ts";

export type JobDriverOptions = Omit<StepContext, "wakeAt" | "retryIn" | "evaluations" | "known" | "runAttempts" | "validModules" | "holders" | "reads" | "declineBook" | "behaviour" | "jobChain"> & {
  /** Honest unless given (faults.ts supplies the test-only misbehaviours). */
  behaviour?: ProviderBehaviour;
} & (
  /** The market through the node's RPC and batcher. */
  | { chain: ChainContext }
  /** The market in memory, for unit tests of the step machine (see job-chain.ts). */
  | { jobChain: JobChain; reads: NodeReads }
);

/**
 * Moves every job the node has a stake in through its phases. The journal says where each job
 * stands; the chain says what happened meanwhile; a step does the next thing and writes the
 * new phase before it acts on the chain. Steps of one job never overlap; events, block times
 * and retry timers only "poke" a job, so a lost poke costs time, never a job.
 */
export class JobDriver {
  private readonly o: JobDriverOptions;
  private readonly active = new Map<bigint, Promise<void>>();
  /** Escalated jobs this node never saw posted, whose log is being read (see adoptEscalated). */
  private readonly adopting = new Map<bigint, Promise<void>>();
  private readonly again = new Set<bigint>();
  private readonly wakeTimes = new Map<bigint, number>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly ctx: StepContext;
  /** The node's load when the waiting jobs were last decided again (see reconsiderWaiting). */
  private lastLoad = "";
  /** Bumped by events that may free this node's stake (its bids displaced, its replicas settled). */
  private stakeEvents = 0;
  /** Until then, jobs waiting for stake are decided again on every tick (see reconsiderWaiting). */
  private recheckStakeUntilMs = 0;

  constructor(options: JobDriverOptions) {
    this.o = options;
    this.ctx = {
      ...options,
      behaviour: options.behaviour ?? HONEST,
      evaluations: new Semaphore(Math.max(1, options.limits.maxConcurrentEvaluations)),
      known: new JobKnowledge(),
      runAttempts: new RunAttempts(),
      validModules: new ValidatedModules(),
      holders: new RequesterHolders(),
      declineBook: new DeclineBook(),
      ...("chain" in options
        ? {
            jobChain: marketJobChain(options.chain),
            reads: new CachedReads(options.chain, options.me, { ownMaxAgeMs: options.limits.ownRecordMaxAgeMs, parametersMaxAgeMs: options.limits.marketParametersMaxAgeMs }),
          }
        : { jobChain: options.jobChain, reads: options.reads }),
      wakeAt: (jobId, chainTime) => {
        const prev = this.wakeTimes.get(jobId);
        if (prev === undefined || chainTime < prev) this.wakeTimes.set(jobId, chainTime);
      },
      retryIn: (jobId, ms) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.poke(jobId);
        }, ms);
        t.unref();
        this.timers.add(t);
      },
    };
  }

  /** Asks for a step of `jobId` now, or right after the one in progress. */
  poke(jobId: bigint): void {
    if (this.o.signal.aborted) return;
    if (this.active.has(jobId)) {
      this.again.add(jobId);
      return;
    }
    const run = this.drive(jobId).finally(() => {
      this.active.delete(jobId);
      this.updateGauge();
      // A poke that came while this drive was ending (after it last read the journal, e.g. a
      // JobEscalated that reopened a lost job in the same batch as the award) is not dropped.
      if (this.again.delete(jobId)) this.poke(jobId);
    });
    this.active.set(jobId, run);
  }

  private async drive(jobId: bigint): Promise<void> {
    let failures = 0;
    do {
      this.again.delete(jobId);
      const rec = this.o.journal.get(jobId);
      if (!rec || TERMINAL_PHASES.includes(rec.phase)) return;
      try {
        const progressed = await runStep(this.ctx, rec);
        if (progressed) this.again.add(jobId);
        failures = 0;
        // A step may have freed a slot (a run ended, a bid was lost): the waiting jobs need not wait for the next tick.
        if (this.ctx.known.waitingCount) this.reconsiderWaiting(this.o.clock.now(), false);
      } catch (err) {
        if (this.o.signal.aborted) return;
        failures += 1;
        const transient = isTransientRpcError(err);
        const log = this.o.log.child({ jobId: jobId.toString(), phase: rec.phase });
        if (transient) log.warn({ err: (err as Error).message }, "chain unreachable; will retry the step");
        else log.error({ err }, "step failed; will retry");
        this.ctx.retryIn(jobId, Math.min(this.o.limits.stepRetryMs * 2 ** Math.min(failures, 5), this.o.limits.rpcRetryMaxMs));
        return;
      }
    } while (this.again.has(jobId) && !this.o.signal.aborted);
  }

  /** Pokes the jobs waiting for a chain time that has come, and the jobs waiting for capacity if it may have freed. */
  tick(): void {
    const now = this.o.clock.now();
    this.ctx.known.abortClosedPools(this.o.clock.nextBlockAtLeast());
    for (const [jobId, at] of this.wakeTimes) {
      if (at <= now) {
        this.wakeTimes.delete(jobId);
        this.poke(jobId);
      }
    }
    this.reconsiderWaiting(now, true);
  }

  /**
   * Jobs held for capacity are decided again when the node's load changed since the last time
   * (a run finished, a bid was lost or settled, stake freed; looked at after every step and on
   * every tick), and on ticks when their bid deadline passed (to decline them). They are poked in
   * waitingOrder: each decision takes the slot it finds free before the next one looks (the
   * steps resolve in the order they were started), so the job that needs a bid most gets it.
   *
   * Only as many as the queue has free slots are decided again: the others would find it full
   * and wait again. Deciding every waiting job on every change (a hundred in a burst, after each
   * bid, run and award) made the decisions grow with the square of the burst; each one that
   * bids changes the load, which offers the freed room to the next ones.
   */
  private reconsiderWaiting(now: number, onTick: boolean): void {
    const { known } = this.ctx;
    if (!known.waitingCount) return;
    const queued = this.o.journal.queuedLoad();
    const load = `${queued.jobs}:${queued.runMs}:${this.stakeEvents}`;
    const staleStake = onTick && Date.now() <= this.recheckStakeUntilMs && [...known.waitingJobs.values()].some((w) => w.reason.code === "stake");
    const changed = load !== this.lastLoad || staleStake;
    this.lastLoad = load;
    if (!changed && !onTick) return;
    let room = changed ? Math.max(0, maxQueued(this.o.limits) - queued.jobs) : 0;
    for (const jobId of known.waitingInOrder(this.o.me)) {
      const w = known.waitingJob(jobId)!;
      if (now >= w.job.bidDeadline || known.awarded(jobId) || known.poolClosedFull(jobId, this.o.clock.nextBlockAtLeast())) this.poke(jobId);
      else if (room > 0) {
        room -= 1;
        this.poke(jobId);
      }
    }
  }

  private stakeFreed(): void {
    this.stakeEvents += 1;
    // The free stake is a shared read up to ownRecordMaxAgeMs old: the first decision after the
    // event may still see it locked, so jobs waiting for stake look again until a fresh read is sure.
    this.recheckStakeUntilMs = Date.now() + 2 * this.o.limits.ownRecordMaxAgeMs + this.o.limits.pollIntervalMs;
  }

  /** What this node tells a requester about `jobId` over DECLINES_PROTOCOL. */
  declinesStatement(jobId: bigint): DeclinesStatement {
    return declinesStatement(jobId, { me: this.o.me, journal: this.o.journal, waiting: this.ctx.known.waitingJobs, book: this.ctx.declineBook });
  }

  /** After a start: every job the journal says is unfinished gets a step. */
  resumeAll(): number {
    const jobs = this.o.journal.active();
    for (const rec of jobs) this.poke(rec.jobId);
    this.updateGauge();
    return jobs.length;
  }

  /**
   * Records what an event means for us; the chain state the steps read does the rest. A live
   * JobPosted (not one replayed while catching up, whose job may have moved on) also hands its
   * terms to the evaluation, which then reads nothing of the job.
   */
  onEvent(log: MarketEvent, live = false): void {
    const { journal, metrics, me, log: logger } = this.o;
    const ev = toJobEvent(log);
    if (!ev) return;
    const jobId = ev.jobId;
    const mine = "provider" in ev && isAddressEqual(ev.provider, me);
    switch (ev.type) {
      case "posted": {
        // cidText leaves bytes that are no CID as hex.
        if (isHex(ev.manifestCid)) {
          journal.insert(jobId, { phase: "declined", reason: "the manifest CID in JobPosted does not decode" });
          return;
        }
        if (journal.insert(jobId, { phase: "evaluating", manifestCid: ev.manifestCid, requester: ev.requester })) {
          metrics.jobsSeen.inc();
          const terms = { requester: ev.requester, maxPrice: ev.maxPrice, minReputation: ev.minReputation, bidDeadline: Number(ev.bidDeadline), commitWindow: ev.commitWindow, awardOnFill: ev.awardOnFill };
          this.ctx.known.onPosted(jobId, ev.replicas, live ? terms : undefined);
          this.poke(jobId);
        }
        return;
      }
      case "bid":
        this.ctx.known.onBid(jobId);
        // Another bid in a pool we are in moves the time the pool can be drawn (a pool reaching k
        // closes at its window's end instead of the fill deadline): the waiting step reads it again.
        if (!mine && journal.get(jobId)?.phase === "bid") this.poke(jobId);
        return;
      case "bidDisplaced":
        this.ctx.known.onDisplaced(jobId, mine);
        if (mine) {
          this.stakeFreed();
          const rec = journal.get(jobId);
          if (rec && (rec.phase === "bid" || rec.phase === "bidding")) {
            journal.update(jobId, { phase: "lost", reason: `not a replica: the draw did not pick this node, or a heavier stake took its place in a full pool (bid ${ev.price})` });
            metrics.lost.inc();
            logger.info({ event: LOG_EVENTS.bidLeftPool, jobId: jobId.toString() }, "bid left the pool: not drawn, or displaced by a heavier stake");
          }
        }
        return;
      case "replicaSettled":
        if (mine) this.stakeFreed();
        if (mine) this.recordSettlement(jobId, ev.outcome, ev.paid, ev.slashed);
        return;
      case "revealOpened":
        this.ctx.known.onRevealOpened(jobId);
        if (journal.get(jobId)) this.poke(jobId);
        return;
      case "settled":
        // Expired or cancelled with our bid in it: its collateral is free again.
        if (["bid", "bidding"].includes(journal.get(jobId)?.phase ?? "")) this.stakeFreed();
        // Cancelled or expired: a waiting job is evaluated afresh, which reads the job and declines it.
        this.ctx.known.onSettled(jobId);
        if (journal.get(jobId)) this.poke(jobId);
        return;
      case "escalated": {
        // No digest had the quorum: the job takes bids again from providers not yet in it. A node
        // that lost or declined the first round treats it as a post (an earlier round's replica is
        // refused by the contract, so the evaluation's bid would only fail); a replica of an earlier
        // round keeps waiting for the settlement, which now judges it with the new round's.
        this.ctx.known.onEscalated(jobId, ev.extra);
        const rec = journal.get(jobId);
        if (!rec && ev.blockNumber !== null && ev.logIndex !== null) {
          this.adoptEscalated(jobId, { blockNumber: ev.blockNumber, logIndex: ev.logIndex }, ev.round, ev.extra);
          return;
        }
        if (rec && (rec.phase === "lost" || rec.phase === "declined") && rec.manifestCid) {
          journal.update(jobId, { phase: "evaluating" });
          logger.info({ event: LOG_EVENTS.escalated, jobId: jobId.toString(), round: ev.round, extra: ev.extra }, "job escalated: evaluating it again for the new round");
          this.poke(jobId);
        } else if (rec) this.poke(jobId);
        return;
      }
      case "awarded":
        if (journal.get(jobId)) {
          this.ctx.known.onAwarded(jobId, ev.winners);
          this.poke(jobId);
        }
        return;
      default:
      // Other providers' bids, commits and reveals change nothing a step of ours waits for (the
      // phase changes above do, and deadlines wake jobs by the clock): a step per event re-read
      // the job ~15 times per job on every node.
    }
  }

  /**
   * A JobEscalated of a job the journal has no record of: this node started (or became reachable)
   * after the post, so it holds no manifest CID, and neither the event nor getJob carries one. The
   * job's own log does: its JobPosted is read back from the escalation (with the earlier rounds'
   * awards, which size settlement's gas), and the job is then evaluated for the new round as a post
   * would be. A failed read is tried again with the steps' backoff; a post that cannot be found
   * (older than the deployment block the node knows) leaves the job alone, with a warning.
   */
  private adoptEscalated(jobId: bigint, at: LogPosition, round: number, extra: number, attempt = 0): void {
    if (this.o.signal.aborted || this.adopting.has(jobId)) return;
    const { journal, metrics, limits } = this.o;
    const log = this.o.log.child({ jobId: jobId.toString() });
    const reading = this.ctx.jobChain
      .log(jobId, at)
      .then((found) => {
        if (!found) {
          log.warn({ event: LOG_EVENTS.escalated, round, extra }, "job escalated, but its JobPosted is not in the market's log from the block this node knows: not evaluated");
          return;
        }
        // cidText leaves bytes that are no CID as hex, as for a live JobPosted.
        if (isHex(found.manifestCid)) {
          journal.insert(jobId, { phase: "declined", reason: "the manifest CID in JobPosted does not decode" });
          return;
        }
        // An event handled meanwhile (the round's own award, a replay) may have made a record first.
        if (!journal.insert(jobId, { phase: "evaluating", manifestCid: found.manifestCid, requester: found.requester })) return;
        this.ctx.known.onEscalatedRead(jobId, found.earlierReplicas, extra);
        metrics.jobsSeen.inc();
        log.info({ event: LOG_EVENTS.escalated, round, extra, earlierReplicas: found.earlierReplicas }, "job escalated: evaluating it for the new round, its manifest read from the post this node never saw");
        this.poke(jobId);
      })
      .catch((err) => {
        if (this.o.signal.aborted) return;
        const retryMs = Math.min(limits.stepRetryMs * 2 ** Math.min(attempt + 1, 5), limits.rpcRetryMaxMs);
        log.warn({ err: (err as Error).message, retryMs }, "job escalated, but reading its post from the log failed; will try again");
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.adoptEscalated(jobId, at, round, extra, attempt + 1);
        }, retryMs);
        t.unref();
        this.timers.add(t);
      })
      .finally(() => this.adopting.delete(jobId));
    this.adopting.set(jobId, reading);
  }

  private recordSettlement(jobId: bigint, outcome: ReplicaOutcomeName, paid: bigint, slashed: bigint): void {
    const { journal, metrics, log } = this.o;
    const rec: JobRecord | undefined = journal.get(jobId);
    if (rec?.outcome) return; // replayed after a restart: counted already
    const fields = { phase: "settled" as const, outcome, retainUntilMs: rec?.sealedCid ? Date.now() + this.o.limits.resultRetentionMs : undefined };
    if (rec) journal.update(jobId, fields);
    else journal.insert(jobId, fields);
    metrics.settlements.inc({ outcome });
    if (paid > 0n) metrics.earnings.inc(Number(paid));
    if (slashed > 0n) {
      metrics.slashes.inc();
      metrics.slashed.inc(Number(slashed));
      log.warn({ event: LOG_EVENTS.slashed, jobId: jobId.toString(), outcome, slashed: slashed.toString() }, "replica slashed");
    } else log.info({ event: LOG_EVENTS.settled, jobId: jobId.toString(), outcome, paid: paid.toString() }, "replica settled");
  }

  private updateGauge(): void {
    this.o.metrics.jobsInFlight.set(this.o.journal.countActive());
  }

  /** Waits for the steps in progress (they stop at the next safe point once the signal aborts). */
  async idle(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    while (this.active.size || this.adopting.size) await Promise.allSettled([...this.active.values(), ...this.adopting.values()]);
  }
}

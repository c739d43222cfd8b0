import type { Address } from "viem";
import { ResultKeyRequiredError, type AccordClient } from "../client.ts";
import type { Exclusive } from "../actions/chain/escrowTurn.ts";
import type { Payment } from "../actions/chain/postJob.ts";
import { signerOf } from "../actions/chain/marketChain.ts";
import type { NoBidsDiagnosis } from "../actions/errors.ts";
import { fetchConsensusResult } from "../actions/internal/fetchResult.ts";
import type { JobHistory } from "../chain/jobHistory.ts";
import { AsyncQueue, limiter, sleep } from "./async.ts";
import { TaskBoard, type LiveTask } from "./board.ts";
import type { RunTasksEvent, RunTasksItem } from "./events.ts";
import { followLoop, JobFollower } from "./follow.ts";
import { uploadShared } from "./post.ts";
import { reconcilePosts, TaskPoster, DEFAULT_PARALLEL_POSTS } from "./poster.ts";
import { resolveMaxPrice } from "./price.ts";
import { RunTally, type RunTasksProgress } from "./progress.ts";
import { afterFailure, resumeAction, settledFailure, unfetchedResult, type AttemptFailure } from "./repost.ts";
import type { Task, TaskBag } from "./spec.ts";
import { TaskStateFile, type AttemptRecord } from "./state.ts";
import { StuckJobs } from "./stuck.ts";

export type { RunTasksEvent, RunTasksItem, TaskFailure, TaskResult } from "./events.ts";
export type { RunTasksProgress } from "./progress.ts";

/** Results fetched from providers at once (each is mostly waiting: a registry read, a dial, a transfer). */
export const DEFAULT_FETCH_CONCURRENCY = 8;
/** A result fetch that failed is tried once more after this, before the task is posted again. */
const FETCH_RETRY_MS = 3_000;

export type RunTasksOptions = {
  /** The state file: written before and after each post, so an interrupted run resumes without posting a task twice. */
  state: string;
  /** Token units per replica; overrides the spec's price (the state's, once a run has posted, wins over both). */
  maxPrice?: bigint;
  /** Tasks posted and not settled at once (DEFAULT_MAX_ACTIVE_TASKS). */
  maxActive?: number;
  /** Post transactions in flight at once (DEFAULT_PARALLEL_POSTS). */
  parallelPosts?: number;
  fetchConcurrency?: number;
  payment?: Payment;
  /** A lock shared with other processes posting from the same key (the CLI's account lock). */
  exclusive?: Exclusive;
  onEvent?: (ev: RunTasksEvent) => void;
  onProgress?: (p: RunTasksProgress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
};

/**
 * Runs a bag of tasks on the market and yields each verified result as it comes (or a task
 * given up on, with why). The shared content is uploaded once; tasks are posted in batches while
 * at most `maxActive` are unsettled (TaskPoster); one reader of the market's log follows them all
 * (JobFollower); stuck jobs are claimed and a job that got no bids is asked about (StuckJobs);
 * results are fetched, decrypted and checked against the on-chain consensus; a task whose job
 * expired, failed or ended without consensus is posted again, up to the spec's maxAttempts, unless
 * the providers' own reasons say the same terms would expire again (repost.ts).
 *
 * Every attempt is recorded in the state file as `posting` (synced) before its transaction is
 * signed, and as `posted` with its job id after: a run interrupted anywhere resumes from the file,
 * and an attempt caught between the two is looked up in the chain's JobPosted events (after the
 * account's pending transactions are mined) instead of being posted again. A result counts as done
 * once the consumer asks for the next one, so a crash before it was handled fetches it again.
 */
export async function* runTasks(client: AccordClient, bag: TaskBag, options: RunTasksOptions): AsyncGenerator<RunTasksItem, void, undefined> {
  const owner = signerOf(client, "Running tasks").account.address;
  if (!client.resultKey) throw new ResultKeyRequiredError();
  const state = await TaskStateFile.open(options.state, bag, { chainId: client.chain.id, market: client.deployment.jobMarket, requester: owner });
  const run = new TaskRun(client, bag, state, options, owner);
  try {
    await run.start();
    for (;;) {
      const item = await run.output.next();
      if (!item) break;
      yield item;
      run.consumed(item);
    }
  } finally {
    await run.stop();
  }
}

/** One run of a bag: starts the poster, the follower and the claims, and settles each attempt as its job ends. */
class TaskRun {
  readonly output = new AsyncQueue<RunTasksItem>();
  private readonly board = new TaskBoard();
  private readonly tally = new RunTally();
  private readonly tasks: Map<string, Task>;
  private readonly follower: JobFollower;
  private readonly stuck: StuckJobs;
  private readonly stopper = new AbortController();
  private readonly signal: AbortSignal;
  private readonly loops: Promise<unknown>[] = [];
  private readonly fetching: <T>(fn: () => Promise<T>) => Promise<T>;
  private progressTimer: NodeJS.Timeout | undefined;

  private readonly client: AccordClient;
  private readonly bag: TaskBag;
  private readonly state: TaskStateFile;
  private readonly options: RunTasksOptions;
  private readonly owner: Address;

  constructor(client: AccordClient, bag: TaskBag, state: TaskStateFile, options: RunTasksOptions, owner: Address) {
    this.client = client;
    this.bag = bag;
    this.state = state;
    this.options = options;
    this.owner = owner;
    this.signal = options.signal ? AbortSignal.any([options.signal, this.stopper.signal]) : this.stopper.signal;
    this.tasks = new Map(bag.tasks.map((t) => [t.name, t]));
    this.fetching = limiter(options.fetchConcurrency ?? DEFAULT_FETCH_CONCURRENCY);
    this.stuck = new StuckJobs(client, this.signal);
    this.follower = new JobFollower(client, {
      onEvent: (jobId, ev, job) => {
        const t = this.board.taskOf(jobId);
        if (!t) return;
        if (ev.type === "awarded") t.phase = "running";
        if (ev.type === "settled") this.onSettled(t, jobId, job);
      },
      onDeadline: (jobId, job) => {
        const t = this.board.taskOf(jobId);
        if (t) this.stuck.onDeadline(t, jobId, job, this.tasks.get(t.name)!.limits.fuel);
      },
    });
  }

  private emit(ev: RunTasksEvent): void {
    this.options.onEvent?.(ev);
  }

  private readonly warn = (message: string): void => this.emit({ type: "warning", message });

  async start(): Promise<void> {
    const node = await this.client.getNode({ signal: this.signal });
    const shared = await uploadShared(node, this.bag, this.signal);
    const s = this.state.state;
    const priced = await resolveMaxPrice(this.client, this.bag, { stateMaxPrice: s.maxPrice, optionMaxPrice: this.options.maxPrice, signal: this.signal });
    s.maxPrice = priced.maxPrice.toString();
    this.emit({ type: "price", maxPrice: priced.maxPrice, source: priced.source });
    const reconciled = await reconcilePosts(this.client, this.owner, this.state, this.bag.tasks.map((t) => t.name), this.signal);

    let following = 0;
    const givenUp: Array<{ t: LiveTask; reason: string }> = [];
    for (const task of this.bag.tasks) {
      const rec = s.tasks[task.name]!;
      const t = this.board.add(task.name, rec, "queued");
      const next = resumeAction(rec, this.bag.maxAttempts);
      if (next.action === "done" || next.action === "failed") t.phase = next.action;
      else if (next.action === "follow") {
        t.phase = "open";
        this.followJob(task.name, next.jobId, next.postedBlock);
        following++;
      } else if (next.action === "give up") givenUp.push({ t, reason: next.reason });
      else this.board.enqueue([task.name]);
    }
    // Given up once every task is on the board: the run ends when none is left, not when the ones seen so far are.
    for (const { t, reason } of givenUp) this.giveUp(t, reason);
    const counts = this.board.counts();
    if (reconciled || counts.done || counts.failed || following)
      this.emit({ type: "resumed", done: counts.done, failed: counts.failed, following, queued: this.board.queued, reconciled });
    await this.state.save();

    const poster = new TaskPoster(
      {
        client: this.client,
        owner: this.owner,
        bag: this.bag,
        state: this.state,
        board: this.board,
        node,
        shared,
        maxPrice: priced.maxPrice,
        signal: this.signal,
        emit: (ev) => this.emit(ev),
        follow: (name, a) => this.followAttempt(name, a),
        failed: (name, failure) => this.attemptFailed(this.board.get(name), failure),
        fail: (err) => this.output.fail(err),
      },
      this.options,
    );
    const posters = Math.max(1, this.options.parallelPosts ?? DEFAULT_PARALLEL_POSTS);
    for (let i = 0; i < posters; i++) this.loops.push(poster.loop());
    this.loops.push(followLoop(this.client, this.follower, this.signal, this.warn), this.stuck.loop(this.warn));
    if (this.options.onProgress) {
      this.progressTimer = setInterval(() => this.options.onProgress!(this.tally.progress(this.board)), this.options.progressIntervalMs ?? 1_000);
      this.progressTimer.unref?.();
    }
    this.signal.addEventListener("abort", () => this.output.fail(this.signal.reason ?? new Error("aborted")), { once: true });
    this.checkFinished();
  }

  async stop(): Promise<void> {
    this.stopper.abort(new Error("the run stopped"));
    this.board.wake();
    if (this.progressTimer) clearInterval(this.progressTimer);
    await Promise.allSettled(this.loops);
    this.options.onProgress?.(this.tally.progress(this.board));
    await this.state.close();
  }

  private followAttempt(name: string, a: AttemptRecord): void {
    this.followJob(name, BigInt(a.jobId!), BigInt(a.postedBlock!));
  }

  private followJob(name: string, jobId: bigint, postedBlock: bigint): void {
    this.board.assign(jobId, name);
    this.follower.follow(jobId, postedBlock);
  }

  private onSettled(t: LiveTask, jobId: bigint, job: JobHistory): void {
    const a = t.rec.attempts.at(-1)!;
    const st = job.settlement!;
    Object.assign(a, { status: "settled", outcome: st.state, paid: st.paid.toString(), fee: st.fee.toString(), refunded: (st.refunded + st.slashed).toString() });
    this.tally.spent += st.paid + st.fee;
    this.follower.drop(jobId);
    this.state.saveSoon();
    if (st.state === "Succeeded") {
      t.phase = "fetching";
      void this.fetching(() => this.fetch(t, jobId, job));
      return;
    }
    if (st.state !== "Expired") return this.attemptFailed(t, settledFailure(job));
    const known = t.diagnosis;
    t.diagnosis = undefined;
    const settle = (d: NoBidsDiagnosis | undefined) => {
      if (d) this.emit({ type: "noBids", task: t.name, jobId, diagnosis: d });
      this.attemptFailed(t, settledFailure(job, d));
    };
    if (known) settle(known);
    else void this.stuck.explain(jobId).then(settle, () => settle(undefined));
  }

  private async fetch(t: LiveTask, jobId: bigint, job: JobHistory): Promise<void> {
    const a = t.rec.attempts.at(-1)!;
    for (let tryNo = 0; ; tryNo++) {
      try {
        const r = await fetchConsensusResult(this.client, job, { signal: this.signal });
        t.phase = "yielding";
        this.output.push({ ok: true, ...r, task: t.name, attempt: a.n, jobId, manifestCid: a.manifestCid, paid: BigInt(a.paid ?? "0") + BigInt(a.fee ?? "0"), refunded: BigInt(a.refunded ?? "0") });
        return;
      } catch (err) {
        if (this.signal.aborted) return;
        if (tryNo >= 1) return this.attemptFailed(t, unfetchedResult(err));
        await sleep(FETCH_RETRY_MS, this.signal);
      }
    }
  }

  private attemptFailed(t: LiveTask, failure: AttemptFailure): void {
    t.rec.attempts.at(-1)!.reason = failure.reason;
    const next = afterFailure(failure, t.rec.attempts.length, this.bag.maxAttempts, this.signal.aborted);
    if (next.repost) {
      this.board.enqueue([t.name]);
      this.tally.reposted++;
      this.emit({ type: "retry", task: t.name, attempt: t.rec.attempts.length + 1, reason: failure.reason });
      this.board.wake();
    } else this.giveUp(t, next.reason);
    this.state.saveSoon();
  }

  private giveUp(t: LiveTask, reason: string): void {
    t.phase = "failed";
    t.rec.status = "failed";
    this.emit({ type: "failed", task: t.name, reason });
    this.output.push({ ok: false, task: t.name, reason, attempts: t.rec.attempts });
    this.board.wake(); // its room under maxActive is free
    this.checkFinished();
  }

  consumed(item: RunTasksItem): void {
    if (!item.ok) return;
    const t = this.board.get(item.task);
    t.phase = "done";
    t.rec.status = "done";
    t.rec.resultCid = item.resultCid;
    this.tally.verified++;
    this.state.saveSoon();
    this.board.wake();
    this.checkFinished();
  }

  private checkFinished(): void {
    if (this.board.finished()) this.output.end();
  }
}

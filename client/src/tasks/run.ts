import type { Address } from "viem";
import type { CID } from "multiformats/cid";
import { ResultKeyRequiredError, type AccordClient } from "../client.ts";
import type { Exclusive } from "../actions/chain/escrowTurn.ts";
import { MAX_JOBS_PER_SUBMIT } from "../actions/chain/postJobs.ts";
import type { Payment } from "../actions/chain/postJob.ts";
import { signerOf } from "../actions/chain/marketChain.ts";
import type { NoBidsDiagnosis } from "../actions/errors.ts";
import { explainNoBids } from "../actions/explainNoBids.ts";
import { fetchConsensusResult, type FetchedResult } from "../actions/internal/fetchResult.ts";
import { activeBids, type JobHistory } from "../chain/jobHistory.ts";
import { AsyncQueue, limiter, sleep } from "./async.ts";
import { claimLoop } from "./claimer.ts";
import { describeNoBids, mayFillLater } from "./diagnose.ts";
import { JobFollower } from "./follow.ts";
import { findPosts, postBatch, prepareTask, uploadShared, type AccordNode, type SharedContent } from "./post.ts";
import { resolveMaxPrice } from "./price.ts";
import type { Task, TaskBag } from "./spec.ts";
import { attemptNonce, TaskStateFile, type AttemptRecord, type TaskRecord } from "./state.ts";

/** Tasks posted and not yet settled at once (their escrow is locked meanwhile). */
export const DEFAULT_MAX_ACTIVE_TASKS = 256;
/** Post transactions in flight at once (from an allowance they share blocks; see inEscrowTurn). */
export const DEFAULT_PARALLEL_POSTS = 2;
/** Results fetched from providers at once (each is mostly waiting: a registry read, a dial, a transfer). */
export const DEFAULT_FETCH_CONCURRENCY = 8;
/** A stuck job is claimed at most this often (its claim may lose a race with a provider's). */
export const CLAIM_RETRY_MS = 10_000;
/** No-bid diagnoses (each reads the registry and asks the providers) run at once. */
const DIAGNOSE_CONCURRENCY = 2;
/** Times the providers are asked about one job when some of them did not answer. */
const DIAGNOSE_ROUNDS = 2;
/** A result fetch that failed is tried once more after this, before the task is posted again. */
const FETCH_RETRY_MS = 3_000;
/** Consecutive post transactions that fail before the run stops with the error. */
const MAX_POST_FAILURES = 3;
/** The follower's round at most this often: a chain makes a block every second or more, and each round is two or three RPC calls. */
const FOLLOW_MIN_POLL_MS = 250;

export type TaskResult = Omit<FetchedResult, never> & {
  ok: true;
  task: string;
  attempt: number;
  jobId: bigint;
  manifestCid: string;
  /** Token units paid to providers (plus the protocol fee) and refunded, for this attempt. */
  paid: bigint;
  refunded: bigint;
};
export type TaskFailure = { ok: false; task: string; reason: string; attempts: AttemptRecord[] };
/** What runTasks yields: a verified result, or a task given up on, with each attempt and why. */
export type RunTasksItem = TaskResult | TaskFailure;

export type RunTasksEvent =
  | { type: "price"; maxPrice: bigint; source: "spec" | "estimate" | "state" | "option" }
  | { type: "resumed"; done: number; failed: number; following: number; queued: number; reconciled: number }
  | { type: "posted"; tasks: string[]; transactionHash?: `0x${string}`; blockNumber?: bigint }
  | { type: "retry"; task: string; attempt: number; reason: string }
  | { type: "failed"; task: string; reason: string }
  | { type: "noBids"; task: string; jobId: bigint; diagnosis: NoBidsDiagnosis }
  | { type: "warning"; message: string };

export type RunTasksProgress = {
  total: number;
  done: number;
  failed: number;
  /** Not posted yet, or waiting to be posted again. */
  queued: number;
  waitingForBids: number;
  /** Awarded: running, committing, revealing, or their result being fetched. */
  running: number;
  reposted: number;
  /** Paid to providers plus fees, over settled attempts of this process. */
  spent: bigint;
  /** Escrow of posted, unsettled attempts. */
  escrowed: bigint;
  elapsedMs: number;
  /** Verified results per second since this process started. */
  tasksPerSecond: number;
};

export type RunTasksOptions = {
  /** The state file: written before and after each post, so an interrupted run resumes without posting a task twice. */
  state: string;
  /** Token units per replica; overrides the spec's price (the state's, once a run has posted, wins over both). */
  maxPrice?: bigint;
  maxActive?: number;
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

type Phase = "queued" | "posting" | "open" | "running" | "fetching" | "yielding" | "done" | "failed";
type Live = { name: string; rec: TaskRecord; phase: Phase; diagnosis?: NoBidsDiagnosis; claimAt?: number };

/**
 * Runs a bag of tasks on the market and yields each verified result as it comes (or a task
 * given up on, with why). The shared content is uploaded once; tasks are posted in batches of up
 * to MAX_JOBS_PER_SUBMIT per transaction while at most `maxActive` are unsettled; one reader of
 * the market's log follows them all; stuck jobs are claimed (their escrow comes back); results are
 * fetched, decrypted and checked against the on-chain consensus; a task whose job expired, failed
 * or ended without consensus is posted again, up to the spec's maxAttempts, unless the providers'
 * own reasons say the same terms would expire again.
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

class TaskRun {
  readonly output = new AsyncQueue<RunTasksItem>();
  private readonly live = new Map<string, Live>();
  private readonly tasks: Map<string, Task>;
  private readonly byJob = new Map<bigint, string>();
  private readonly queue: string[] = [];
  private readonly follower: JobFollower;
  private readonly stopper = new AbortController();
  private readonly signal: AbortSignal;
  private readonly loops: Promise<unknown>[] = [];
  private readonly claims = new Set<bigint>();
  private readonly fetching: <T>(fn: () => Promise<T>) => Promise<T>;
  private readonly started = Date.now();
  private wakePosters: Array<() => void> = [];
  private node!: AccordNode;
  private shared!: SharedContent;
  private maxPrice!: bigint;
  private diagnosing = 0;
  private postFailures = 0;
  private reposted = 0;
  private spent = 0n;
  private verified = 0;
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
    this.follower = new JobFollower(client, {
      onEvent: (jobId, ev, job) => {
        const t = this.taskOf(jobId);
        if (!t) return;
        if (ev.type === "awarded") t.phase = "running";
        if (ev.type === "settled") this.onSettled(t, jobId, job);
      },
      onDeadline: (jobId, job) => this.onDeadline(jobId, job),
    });
  }

  private emit(ev: RunTasksEvent): void {
    this.options.onEvent?.(ev);
  }

  async start(): Promise<void> {
    this.node = await this.client.getNode({ signal: this.signal });
    this.shared = await uploadShared(this.node, this.bag, this.signal);
    const s = this.state.state;
    const priced = await resolveMaxPrice(this.client, this.bag, { stateMaxPrice: s.maxPrice, optionMaxPrice: this.options.maxPrice, signal: this.signal });
    this.maxPrice = priced.maxPrice;
    s.maxPrice = priced.maxPrice.toString();
    this.emit({ type: "price", maxPrice: priced.maxPrice, source: priced.source });
    const reconciled = await this.reconcile(this.bag.tasks.map((t) => t.name));

    let following = 0;
    for (const task of this.bag.tasks) {
      const rec = s.tasks[task.name]!;
      const t: Live = { name: task.name, rec, phase: "queued" };
      this.live.set(task.name, t);
      const last = rec.attempts.at(-1);
      if (rec.status === "done" || rec.status === "failed") t.phase = rec.status;
      else if (last && (last.status === "posted" || (last.status === "settled" && last.outcome === "Succeeded"))) {
        t.phase = "open";
        this.followAttempt(task.name, last);
        following++;
      } else if (last && rec.attempts.length >= this.bag.maxAttempts) this.giveUp(t, last.reason ?? "its last attempt ended without a result");
      else this.queue.push(task.name);
    }
    const counts = this.counts();
    if (reconciled || counts.done || counts.failed || following)
      this.emit({ type: "resumed", done: counts.done, failed: counts.failed, following, queued: this.queue.length, reconciled });
    await this.state.save();

    const posters = Math.max(1, this.options.parallelPosts ?? DEFAULT_PARALLEL_POSTS);
    for (let i = 0; i < posters; i++) this.loops.push(this.postLoop());
    this.loops.push(this.followLoop(), claimLoop(this.client, this.claims, this.signal, (message) => this.emit({ type: "warning", message })));
    if (this.options.onProgress) {
      this.progressTimer = setInterval(() => this.options.onProgress!(this.progress()), this.options.progressIntervalMs ?? 1_000);
      this.progressTimer.unref?.();
    }
    this.signal.addEventListener("abort", () => this.output.fail(this.signal.reason ?? new Error("aborted")), { once: true });
    this.checkFinished();
  }

  async stop(): Promise<void> {
    this.stopper.abort(new Error("the run stopped"));
    this.wake();
    if (this.progressTimer) clearInterval(this.progressTimer);
    await Promise.allSettled(this.loops);
    this.options.onProgress?.(this.progress());
    await this.state.close();
  }

  /**
   * Attempts left `posting` by a crash (or by a post whose outcome is unknown): those the chain
   * shows posted become `posted`; the others were never mined and are dropped, so the task's next
   * attempt reuses their number and so their manifest.
   */
  private async reconcile(names: string[]): Promise<number> {
    const pending = names.flatMap((name) => {
      const a = this.state.state.tasks[name]?.attempts.at(-1);
      return a?.status === "posting" ? [{ name, a }] : [];
    });
    if (pending.length === 0) return 0;
    const since = pending.reduce((m, p) => (BigInt(p.a.since ?? "0") < m ? BigInt(p.a.since ?? "0") : m), BigInt(pending[0]!.a.since ?? "0"));
    const found = await findPosts(this.client, this.owner, pending.map((p) => p.a.manifestCid), since, this.signal);
    for (const { name, a } of pending) {
      const post = found.get(a.manifestCid);
      if (post) Object.assign(a, { status: "posted", jobId: post.jobId.toString(), postedBlock: post.blockNumber.toString(), escrow: post.escrow.toString() });
      else this.state.state.tasks[name]!.attempts.pop();
    }
    await this.state.save();
    return pending.length;
  }

  private followAttempt(name: string, a: AttemptRecord): void {
    const jobId = BigInt(a.jobId!);
    this.byJob.set(jobId, name);
    this.follower.follow(jobId, BigInt(a.postedBlock!));
  }

  private taskOf(jobId: bigint): Live | undefined {
    const name = this.byJob.get(jobId);
    return name === undefined ? undefined : this.live.get(name);
  }

  private active(): number {
    let n = 0;
    for (const t of this.live.values()) if (t.phase === "posting" || t.phase === "open" || t.phase === "running" || t.phase === "fetching") n++;
    return n;
  }

  private wake(): void {
    const w = this.wakePosters;
    this.wakePosters = [];
    for (const f of w) f();
  }

  private async postLoop(): Promise<void> {
    const maxActive = this.options.maxActive ?? DEFAULT_MAX_ACTIVE_TASKS;
    while (!this.signal.aborted) {
      const room = maxActive - this.active();
      if (this.queue.length === 0 || room <= 0) {
        await new Promise<void>((r) => this.wakePosters.push(r));
        continue;
      }
      const names = this.queue.splice(0, Math.min(MAX_JOBS_PER_SUBMIT, room));
      for (const n of names) this.live.get(n)!.phase = "posting";
      try {
        await this.postOne(names);
        this.postFailures = 0;
      } catch (err) {
        if (this.signal.aborted) return;
        if (++this.postFailures >= MAX_POST_FAILURES) {
          this.output.fail(err);
          return;
        }
        this.emit({ type: "warning", message: `posting ${names.length} task(s) failed (${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message}); trying again` });
        await new Promise((r) => setTimeout(r, 2_000 * this.postFailures));
      }
    }
  }

  private async postOne(names: string[]): Promise<void> {
    const s = this.state.state;
    const attempts: AttemptRecord[] = [];
    const cids: CID[] = [];
    try {
      for (const name of names) {
        const rec = s.tasks[name]!;
        const task = this.tasks.get(name)!;
        const n = rec.attempts.length + 1;
        const cid = await prepareTask(this.node, this.shared, task, this.client.resultKey!.publicKeyHex, attemptNonce(s.runId, name, n), this.signal);
        cids.push(cid);
        attempts.push({ n, manifestCid: cid.toString(), status: "posting" });
      }
    } catch (err) {
      // Nothing of the batch was posted: it waits for the next try (a task input that cannot be read stops the run after MAX_POST_FAILURES).
      for (const name of names) this.live.get(name)!.phase = "queued";
      this.queue.unshift(...names);
      throw err;
    }
    // Synced before signing: whatever happens next, a resumed run finds these and asks the chain.
    const since = (await this.client.publicClient.getBlockNumber({ cacheTime: 0 })).toString();
    names.forEach((name, i) => {
      s.tasks[name]!.status = "active";
      s.tasks[name]!.attempts.push({ ...attempts[i]!, since });
    });
    await this.state.save();
    const recs = names.map((name) => s.tasks[name]!.attempts.at(-1)!);
    let posted;
    try {
      posted = await postBatch(this.client, this.node, cids, { ...this.bag.offer, maxPrice: this.maxPrice }, { payment: this.options.payment, exclusive: this.options.exclusive, signal: this.signal });
    } catch (err) {
      // Refused before sending, or lost after: the chain says which. Unposted attempts are requeued.
      if (!this.signal.aborted) await this.reconcile(names);
      for (const name of names) {
        const a = s.tasks[name]!.attempts.at(-1);
        if (a?.status === "posted") {
          this.live.get(name)!.phase = "open";
          this.followAttempt(name, a);
        } else if (!this.signal.aborted) {
          this.live.get(name)!.phase = "queued";
          this.queue.unshift(name);
        }
      }
      throw err;
    }
    posted.results.forEach((r, i) => {
      const name = names[i]!;
      const a = recs[i]!;
      const t = this.live.get(name)!;
      if (r.ok) {
        Object.assign(a, { status: "posted", jobId: r.job.jobId.toString(), postedBlock: r.job.blockNumber.toString(), escrow: r.job.escrow.toString() });
        t.phase = "open";
        this.followAttempt(name, a);
      } else {
        a.status = "refused";
        this.afterFailure(t, `the market refused the post: ${r.error.shortMessage}`, true);
      }
    });
    await this.state.save();
    this.emit({ type: "posted", tasks: names.filter((_, i) => posted.results[i]!.ok), transactionHash: posted.transactionHash, blockNumber: posted.blockNumber });
  }

  private async followLoop(): Promise<void> {
    const pollMs = Math.max(FOLLOW_MIN_POLL_MS, this.client.pollingIntervalMs ?? 1_000);
    let failing = false;
    while (!this.signal.aborted) {
      try {
        await this.follower.round(this.signal);
        failing = false;
      } catch (err) {
        if (this.signal.aborted) return;
        if (!failing) this.emit({ type: "warning", message: `reading the chain failed (${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message}); retrying` });
        failing = true;
      }
      await sleep(pollMs, this.signal);
    }
  }

  private onDeadline(jobId: bigint, job: JobHistory): void {
    const t = this.taskOf(jobId);
    if (!t || (t.claimAt !== undefined && Date.now() < t.claimAt)) return;
    t.claimAt = Date.now() + CLAIM_RETRY_MS;
    // A job about to expire: ask why while it is still open (the providers still know it), then claim it.
    if (job.state === "Open" && activeBids(job).length < job.quorum && !t.diagnosis) {
      if (this.diagnosing >= DIAGNOSE_CONCURRENCY) {
        t.claimAt = Date.now() + 1_000;
        return;
      }
      this.diagnosing++;
      void this.diagnose(jobId, this.tasks.get(t.name)!.limits.fuel)
        .then((d) => (t.diagnosis = d))
        .finally(() => {
          this.diagnosing--;
          this.claims.add(jobId);
        });
      return;
    }
    this.claims.add(jobId);
  }

  /**
   * Why an open job got too few bids. A provider that did not answer in time (a loaded machine)
   * is asked once more: its silence would mean "post again", its answer may say that is useless.
   */
  private async diagnose(jobId: bigint, fuel: number): Promise<NoBidsDiagnosis | undefined> {
    let d: NoBidsDiagnosis | undefined;
    for (let round = 0; round < DIAGNOSE_ROUNDS; round++) {
      try {
        d = await explainNoBids(this.client, { jobId, fuel, signal: this.signal });
      } catch {
        continue;
      }
      if (!d.reasons.some((r) => r.code === "unreachable" || r.code === "eligible-but-silent")) break;
    }
    return d;
  }

  private onSettled(t: Live, jobId: bigint, job: JobHistory): void {
    const a = t.rec.attempts.at(-1)!;
    const st = job.settlement!;
    Object.assign(a, { status: "settled", outcome: st.state, paid: st.paid.toString(), fee: st.fee.toString(), refunded: (st.refunded + st.slashed).toString() });
    this.spent += st.paid + st.fee;
    this.follower.drop(jobId);
    this.state.saveSoon();
    if (st.state === "Succeeded") {
      t.phase = "fetching";
      void this.fetching(() => this.fetch(t, jobId, job));
      return;
    }
    if (st.state === "Expired") {
      const known = t.diagnosis;
      t.diagnosis = undefined;
      const settle = (d: NoBidsDiagnosis | undefined) => {
        if (d) this.emit({ type: "noBids", task: t.name, jobId, diagnosis: d });
        this.afterFailure(t, `expired with ${activeBids(job).length} of ${job.quorum} needed bid(s): ${d ? describeNoBids(d) : "no provider bid"}`, d ? mayFillLater(d) : true);
      };
      if (known) settle(known);
      else
        void explainNoBids(this.client, { jobId, signal: this.signal }).then(settle, () => settle(undefined));
      return;
    }
    const details =
      st.state === "NoConsensus"
        ? `the reveals differ (${job.reveals.map((r) => `${r.provider} → ${r.resultCid}`).join("; ")})`
        : st.state === "Failed"
          ? `${job.committed.length} of ${job.winners} winner(s) committed, ${job.quorum} needed`
          : st.state;
    this.afterFailure(t, `${st.state}: ${details}`, true);
  }

  private async fetch(t: Live, jobId: bigint, job: JobHistory): Promise<void> {
    const a = t.rec.attempts.at(-1)!;
    for (let tryNo = 0; ; tryNo++) {
      try {
        const r = await fetchConsensusResult(this.client, job, { signal: this.signal });
        t.phase = "yielding";
        this.output.push({ ok: true, ...r, task: t.name, attempt: a.n, jobId, manifestCid: a.manifestCid, paid: BigInt(a.paid ?? "0") + BigInt(a.fee ?? "0"), refunded: BigInt(a.refunded ?? "0") });
        return;
      } catch (err) {
        if (this.signal.aborted) return;
        if (tryNo >= 1) {
          this.afterFailure(t, `its result could not be fetched: ${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message}`, true);
          return;
        }
        await sleep(FETCH_RETRY_MS, this.signal);
      }
    }
  }

  private afterFailure(t: Live, reason: string, retryable: boolean): void {
    const a = t.rec.attempts.at(-1)!;
    a.reason = reason;
    if (retryable && t.rec.attempts.length < this.bag.maxAttempts && !this.signal.aborted) {
      t.phase = "queued";
      this.queue.push(t.name);
      this.reposted++;
      this.emit({ type: "retry", task: t.name, attempt: t.rec.attempts.length + 1, reason });
      this.wake();
    } else {
      const why = retryable ? `${reason} (after ${t.rec.attempts.length} attempt(s))` : `${reason} (not posted again: the same terms would meet the same refusals)`;
      this.giveUp(t, why);
    }
    this.state.saveSoon();
  }

  private giveUp(t: Live, reason: string): void {
    t.phase = "failed";
    t.rec.status = "failed";
    this.emit({ type: "failed", task: t.name, reason });
    this.output.push({ ok: false, task: t.name, reason, attempts: t.rec.attempts });
    this.wake(); // its room under maxActive is free
    this.checkFinished();
  }

  consumed(item: RunTasksItem): void {
    if (!item.ok) return;
    const t = this.live.get(item.task)!;
    t.phase = "done";
    t.rec.status = "done";
    t.rec.resultCid = item.resultCid;
    this.verified++;
    this.state.saveSoon();
    this.wake();
    this.checkFinished();
  }

  private checkFinished(): void {
    for (const t of this.live.values()) if (t.phase !== "done" && t.phase !== "failed") return;
    this.output.end();
  }

  private counts() {
    const c = { done: 0, failed: 0, queued: 0, open: 0, running: 0 };
    for (const t of this.live.values()) {
      if (t.phase === "done") c.done++;
      else if (t.phase === "failed") c.failed++;
      else if (t.phase === "queued" || t.phase === "posting") c.queued++;
      else if (t.phase === "open") c.open++;
      else c.running++;
    }
    return c;
  }

  private progress(): RunTasksProgress {
    const c = this.counts();
    let escrowed = 0n;
    for (const t of this.live.values()) {
      const a = t.rec.attempts.at(-1);
      if (a?.status === "posted" && a.escrow) escrowed += BigInt(a.escrow);
    }
    const elapsedMs = Date.now() - this.started;
    return {
      total: this.live.size,
      done: c.done,
      failed: c.failed,
      queued: c.queued,
      waitingForBids: c.open,
      running: c.running,
      reposted: this.reposted,
      spent: this.spent,
      escrowed,
      elapsedMs,
      tasksPerSecond: elapsedMs > 0 ? (this.verified * 1000) / elapsedMs : 0,
    };
  }
}

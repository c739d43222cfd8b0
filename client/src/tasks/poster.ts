import type { Address } from "viem";
import type { CID } from "multiformats/cid";
import type { AccordClient } from "../client.ts";
import type { Exclusive } from "../actions/chain/escrowTurn.ts";
import { MAX_JOBS_PER_SUBMIT } from "../actions/chain/postJobs.ts";
import type { Payment } from "../actions/chain/postJob.ts";
import type { TaskBoard } from "./board.ts";
import type { RunTasksEvent } from "./events.ts";
import { findPosts, postBatch, prepareTask, type AccordNode, type SharedContent } from "./post.ts";
import { errorText, refusedPost, type AttemptFailure } from "./repost.ts";
import type { Task, TaskBag } from "./spec.ts";
import { attemptNonce, type AttemptRecord, type TaskStateFile } from "./state.ts";

/** Tasks posted and not yet settled at once (their escrow is locked meanwhile). */
export const DEFAULT_MAX_ACTIVE_TASKS = 256;
/** Post transactions in flight at once (from an allowance they share blocks; see inEscrowTurn). */
export const DEFAULT_PARALLEL_POSTS = 2;
/** Consecutive post transactions that fail before the run stops with the error. */
const MAX_POST_FAILURES = 3;
/** A failed post waits this much longer for each failure in a row before the next. */
const POST_BACKOFF_MS = 2_000;

/**
 * Attempts left `posting` by a crash (or by a post whose outcome is unknown): those the chain
 * shows posted become `posted`; the others were never mined and are dropped, so the task's next
 * attempt reuses their number and so their manifest. Returns how many were looked up.
 */
export async function reconcilePosts(client: AccordClient, owner: Address, state: TaskStateFile, names: string[], signal?: AbortSignal): Promise<number> {
  const pending = names.flatMap((name) => {
    const a = state.state.tasks[name]?.attempts.at(-1);
    return a?.status === "posting" ? [{ name, a }] : [];
  });
  if (pending.length === 0) return 0;
  const since = pending.reduce((m, p) => (BigInt(p.a.since ?? "0") < m ? BigInt(p.a.since ?? "0") : m), BigInt(pending[0]!.a.since ?? "0"));
  const found = await findPosts(client, owner, pending.map((p) => p.a.manifestCid), since, signal);
  for (const { name, a } of pending) {
    const post = found.get(a.manifestCid);
    if (post) Object.assign(a, { status: "posted", jobId: post.jobId.toString(), postedBlock: post.blockNumber.toString(), escrow: post.escrow.toString() });
    else state.state.tasks[name]!.attempts.pop();
  }
  await state.save();
  return pending.length;
}

export type PosterInit = {
  maxActive?: number;
  payment?: Payment;
  /** A lock shared with other processes posting from the same key (the CLI's account lock). */
  exclusive?: Exclusive;
};

/** What the poster needs of the run: the content to post, and where a posted or refused attempt goes. */
export type PosterContext = {
  client: AccordClient;
  owner: Address;
  bag: TaskBag;
  state: TaskStateFile;
  board: TaskBoard;
  node: AccordNode;
  shared: SharedContent;
  maxPrice: bigint;
  signal: AbortSignal;
  emit(ev: RunTasksEvent): void;
  /** An attempt is on the chain: follow its job. */
  follow(name: string, attempt: AttemptRecord): void;
  /** An attempt the market refused. */
  failed(name: string, failure: AttemptFailure): void;
  /** Posting failed MAX_POST_FAILURES times in a row: the run stops with this error. */
  fail(err: unknown): void;
};

/**
 * Posts the queued tasks in batches of up to MAX_JOBS_PER_SUBMIT per transaction while fewer
 * than `maxActive` are unsettled. Every attempt is written `posting` (synced) with the block read
 * before its transaction is signed and `posted` with its job id after, so an attempt whose post
 * is lost or unknown is looked up on the chain (reconcilePosts), never posted again blindly.
 */
export class TaskPoster {
  private failures = 0;
  private readonly tasks: Map<string, Task>;
  private readonly ctx: PosterContext;
  private readonly init: PosterInit;

  constructor(ctx: PosterContext, init: PosterInit) {
    this.ctx = ctx;
    this.init = init;
    this.tasks = new Map(ctx.bag.tasks.map((t) => [t.name, t]));
  }

  /** One posting loop; several run at once (parallelPosts) and share the line and the failure count. */
  async loop(): Promise<void> {
    const { board, signal } = this.ctx;
    const maxActive = this.init.maxActive ?? DEFAULT_MAX_ACTIVE_TASKS;
    while (!signal.aborted) {
      const room = maxActive - board.active();
      if (board.queued === 0 || room <= 0) {
        await board.changed();
        continue;
      }
      const names = board.take(Math.min(MAX_JOBS_PER_SUBMIT, room));
      try {
        await this.post(names);
        this.failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        if (++this.failures >= MAX_POST_FAILURES) {
          this.ctx.fail(err);
          return;
        }
        this.ctx.emit({ type: "warning", message: `posting ${names.length} task(s) failed (${errorText(err)}); trying again` });
        await new Promise((r) => setTimeout(r, POST_BACKOFF_MS * this.failures));
      }
    }
  }

  private async post(names: string[]): Promise<void> {
    const { client, board, state, signal } = this.ctx;
    const s = state.state;
    const attempts: AttemptRecord[] = [];
    const cids: CID[] = [];
    try {
      for (const name of names) {
        const rec = s.tasks[name]!;
        const n = rec.attempts.length + 1;
        const cid = await prepareTask(this.ctx.node, this.ctx.shared, this.tasks.get(name)!, client.resultKey!.publicKeyHex, attemptNonce(s.runId, name, n), signal);
        cids.push(cid);
        attempts.push({ n, manifestCid: cid.toString(), status: "posting" });
      }
    } catch (err) {
      // Nothing of the batch was posted: it waits for the next try (a task input that cannot be read stops the run after MAX_POST_FAILURES).
      board.enqueue(names, true);
      throw err;
    }
    // Synced before signing: whatever happens next, a resumed run finds these and asks the chain.
    const since = (await client.publicClient.getBlockNumber({ cacheTime: 0 })).toString();
    names.forEach((name, i) => {
      s.tasks[name]!.status = "active";
      s.tasks[name]!.attempts.push({ ...attempts[i]!, since });
    });
    await state.save();
    const recs = names.map((name) => s.tasks[name]!.attempts.at(-1)!);
    let posted;
    try {
      posted = await postBatch(client, this.ctx.node, cids, { ...this.ctx.bag.offer, maxPrice: this.ctx.maxPrice }, { payment: this.init.payment, exclusive: this.init.exclusive, signal });
    } catch (err) {
      // Refused before sending, or lost after: the chain says which. Unposted attempts are requeued.
      if (!signal.aborted) await reconcilePosts(client, this.ctx.owner, state, names, signal);
      for (const name of names) {
        const a = s.tasks[name]!.attempts.at(-1);
        if (a?.status === "posted") {
          board.get(name).phase = "open";
          this.ctx.follow(name, a);
        } else if (!signal.aborted) board.enqueue([name], true);
      }
      throw err;
    }
    posted.results.forEach((r, i) => {
      const name = names[i]!;
      const a = recs[i]!;
      if (r.ok) {
        Object.assign(a, { status: "posted", jobId: r.job.jobId.toString(), postedBlock: r.job.blockNumber.toString(), escrow: r.job.escrow.toString() });
        board.get(name).phase = "open";
        this.ctx.follow(name, a);
      } else {
        a.status = "refused";
        this.ctx.failed(name, refusedPost(r.error.shortMessage));
      }
    });
    await state.save();
    this.ctx.emit({ type: "posted", tasks: names.filter((_, i) => posted.results[i]!.ok), transactionHash: posted.transactionHash, blockNumber: posted.blockNumber });
  }
}

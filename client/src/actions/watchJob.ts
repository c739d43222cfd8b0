import type { Address } from "viem";
import type { AccordClient } from "../client.ts";
import type { JobStateName } from "../chain/constants.ts";
import { findJobPosted, followMarketEvents, toJobEvent, type JobEvent, type MarketEventBatch } from "../chain/events.ts";
import type { ChainRequestError } from "../chain/revert.ts";
import type { DeclinesReply } from "../net/declines.ts";
import { JobNotFoundError } from "./errors.ts";
import { activeBids, applyJobEvent, newHistory, type JobHistory } from "../chain/jobHistory.ts";

/** How often the chain's clock is read to notice a phase deadline passing. */
export const DEADLINE_CHECK_INTERVAL_MS = 1_000;
/** Providers are first asked why they have not bid this long after the post (they fetch and check the job first). */
export const DECLINES_FIRST_ASK_MS = 3_000;
/** Then again this often while the job waits for bids. */
export const DECLINES_ASK_INTERVAL_MS = 10_000;

/** A phase deadline passed with the job still in that phase: anyone may `claim` it now. */
export type DeadlinePassedEvent = { type: "deadlinePassed"; jobId: bigint; phase: JobStateName; deadline: bigint; chainTime: bigint };

/**
 * A provider that has not bid said why (its structured reasons, DECLINES_PROTOCOL), or could
 * not be asked. Yielded while the job is Open, once per provider each time its account changes.
 */
export type DeclinesEvent = { type: "declines"; jobId: bigint; provider: Address; peerId: string; reply: DeclinesReply };

/** Each event carries `job`, the job as all events so far tell it (bids n/k, commits, reveals). */
export type WatchJobEvent = (JobEvent | DeadlinePassedEvent | DeclinesEvent) & { job: JobHistory };

export type WatchJobParameters = {
  jobId: bigint;
  /** Where the job was posted, if known (saves a search for its JobPosted event). */
  fromBlock?: bigint;
  /** Report deadlines passing (default true). */
  deadlines?: boolean;
  /**
   * Ask the registered providers that have not bid why, while the job is Open, and yield their
   * answers as `declines` events (default true; needs the client's content node, and is skipped
   * without one).
   */
  declines?: boolean;
  signal?: AbortSignal;
  /** Told about each RPC failure; the watch keeps retrying and never skips a block. */
  onRpcError?: (err: Error, retryInMs: number) => void;
};

export type WatchJobReturnType = AsyncGenerator<WatchJobEvent, void, undefined>;
export type WatchJobErrorType = JobNotFoundError | ChainRequestError;

type Input = { kind: "batch"; batch: MarketEventBatch } | { kind: "tick" } | { kind: "declines"; events: Omit<DeclinesEvent, "job">[] };

/**
 * The job's lifecycle as an async iterator of typed events, from its posting (past events
 * first, so a late watcher sees the whole story) to its settlement, after which it ends.
 * Built on followMarketEvents: no block is skipped, even across RPC outages. Deadlines are
 * checked on a timer as well as per block, since an automining chain makes no block while
 * nothing happens. Breaking out of the loop or aborting the signal stops it.
 */
export async function* watchJob(client: AccordClient, parameters: WatchJobParameters): WatchJobReturnType {
  const { jobId, signal } = parameters;
  const market = client.deployment.jobMarket;
  const posted = await findJobPosted(client.publicClient, { address: market, jobId, fromBlock: parameters.fromBlock ?? BigInt(client.deployment.startBlock), signal });
  if (!posted) throw new JobNotFoundError(jobId, market);
  const job = newHistory(posted);
  yield { ...posted, job };
  const stop = new AbortController();
  const linked = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const inbox = new Inbox<Input>();

  const follow = (async () => {
    try {
      for await (const batch of followMarketEvents(client.publicClient, {
        address: market,
        fromBlock: posted.blockNumber,
        pollIntervalMs: client.pollingIntervalMs,
        signal: linked,
        onRpcError: parameters.onRpcError,
      }))
        inbox.push({ kind: "batch", batch });
      inbox.end();
    } catch (err) {
      inbox.fail(err);
    }
  })();
  const ticker = parameters.deadlines === false ? undefined : setInterval(() => inbox.push({ kind: "tick" }), DEADLINE_CHECK_INTERVAL_MS);
  ticker?.unref?.();
  const asking = parameters.declines === false ? undefined : askWhileOpen(client, jobId, job, inbox, linked);

  let lastDeadlineCheck = 0;
  const reported = new Set<string>();
  try {
    for (;;) {
      const input = await inbox.next(linked);
      if (input === undefined) break;
      if (input.kind === "batch")
        for (const raw of input.batch.events) {
          const ev = toJobEvent(raw);
          if (!ev || ev.jobId !== jobId || ev.type === "posted") continue;
          applyJobEvent(job, ev);
          yield { ...ev, job };
          if (ev.type === "settled") return;
        }
      if (input.kind === "declines")
        for (const ev of input.events) if (job.state === "Open" && !activeBids(job).some((b) => b.provider === ev.provider)) yield { ...ev, job };
      if (parameters.deadlines !== false && job.deadline !== undefined && Date.now() - lastDeadlineCheck >= DEADLINE_CHECK_INTERVAL_MS) {
        lastDeadlineCheck = Date.now();
        const chainTime = await chainNow(client);
        const key = `${job.state}:${job.deadline}`;
        if (chainTime !== undefined && chainTime >= job.deadline && !reported.has(key)) {
          reported.add(key);
          yield { type: "deadlinePassed", jobId, phase: job.state, deadline: job.deadline, chainTime, job };
        }
      }
    }
    signal?.throwIfAborted();
  } finally {
    stop.abort();
    if (ticker) clearInterval(ticker);
    await Promise.allSettled([follow, asking]);
  }
}

/**
 * While the job is Open, asks the providers that have not bid why, first after
 * DECLINES_FIRST_ASK_MS and then every DECLINES_ASK_INTERVAL_MS, and passes on each provider's
 * account when it differs from the last one. Quietly does nothing without a content node; a
 * failed round is skipped (the chain or the network may be back by the next).
 */
async function askWhileOpen(client: AccordClient, jobId: bigint, job: JobHistory, inbox: Inbox<Input>, signal: AbortSignal): Promise<void> {
  const last = new Map<Address, string>();
  let wait = DECLINES_FIRST_ASK_MS;
  // Loaded only when a job is watched with declines: the registry's peer ids bring in libp2p's crypto.
  const [{ askDeclines }, { declinesUnsupported }] = await Promise.all([import("./askDeclines.ts"), import("../net/declines.ts")]);
  while (!signal.aborted && job.state === "Open") {
    await sleep(wait, signal);
    wait = DECLINES_ASK_INTERVAL_MS;
    if (signal.aborted || job.state !== "Open") return;
    let replies;
    try {
      replies = await askDeclines(client, { jobId, skip: activeBids(job).map((b) => b.provider), signal });
    } catch (err) {
      if ((err as Error).name === "ContentNodeRequiredError") return;
      continue;
    }
    const events: Omit<DeclinesEvent, "job">[] = [];
    for (const { provider, peerId, reply } of replies) {
      // A bid shows as its own event; "still checking the job" is no news unless it says what fails
      // (content the provider could not fetch yet); a node without the protocol has nothing to say.
      if (reply.ok && (reply.answer.status === "bid" || (reply.answer.status === "evaluating" && !reply.answer.reasons.length))) continue;
      if (declinesUnsupported(reply)) continue;
      const key = reply.ok ? JSON.stringify([reply.answer.status, reply.answer.reasons]) : `error:${reply.error.message}`;
      if (last.get(provider) === key) continue;
      last.set(provider, key);
      events.push({ type: "declines", jobId, provider, peerId, reply });
    }
    if (events.length) inbox.push({ kind: "declines", events });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A queue several producers push into and one consumer awaits; `end` or `fail` finishes it after what was pushed. */
class Inbox<T> {
  private readonly items: T[] = [];
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  push(item: T): void {
    this.items.push(item);
    this.poke();
  }
  end(): void {
    this.done = true;
    this.poke();
  }
  fail(err: unknown): void {
    this.error = err;
    this.done = true;
    this.poke();
  }
  private poke(): void {
    this.wake?.();
    this.wake = undefined;
  }
  /** The next item, or undefined once ended (or aborted); rethrows a producer's failure. */
  async next(signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (this.items.length) return this.items.shift();
      if (this.error !== undefined) throw this.error;
      if (this.done || signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        this.wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
  }
}

/**
 * The time the next block will carry, as best known: the latest block's timestamp, or the wall
 * clock when that is later (an automining chain makes no blocks while nothing happens).
 */
async function chainNow(client: AccordClient): Promise<bigint | undefined> {
  try {
    const block = await client.publicClient.getBlock({ blockTag: "latest" });
    const wall = BigInt(Math.floor(Date.now() / 1000));
    return block.timestamp > wall ? block.timestamp : wall;
  } catch {
    return undefined;
  }
}

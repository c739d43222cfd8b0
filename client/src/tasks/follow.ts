import type { AccordClient } from "../client.ts";
import { getMarketEvents, toJobEvent, type JobEvent, type MarketEvent } from "../chain/events.ts";
import { applyJobEvent, newHistory, type JobHistory } from "../chain/jobHistory.ts";
import { sleep } from "./async.ts";

/** How often the chain's clock is compared with the followed jobs' deadlines. */
export const TASK_DEADLINE_CHECK_MS = 1_000;
/** The follower's round at most this often: a chain makes a block every second or more, and each round is two or three RPC calls. */
const FOLLOW_MIN_POLL_MS = 250;

export type FollowerHandlers = {
  /** Every event of a followed job after its JobPosted, in chain order, with the job as events tell it. */
  onEvent(jobId: bigint, ev: JobEvent, job: JobHistory): void;
  /** A followed job's phase deadline has passed: told at every check until the job moves on (the handler paces its claims). */
  onDeadline(jobId: bigint, job: JobHistory, chainTime: bigint): void;
  /** An RPC read failed; the follower retries on its next round and skips no block. */
  onRpcError?(err: Error): void;
};

/**
 * Follows many jobs with one reader of the market's log (one `eth_getLogs` a round for all of
 * them, where watchJob would run one per job). A job is followed from its post block: a job
 * registered after the follower read past that block is caught up from the log first, inside the
 * same loop, so no event is lost or applied twice.
 */
export class JobFollower {
  private readonly jobs = new Map<bigint, { history?: JobHistory }>();
  private readonly joining: Array<{ jobId: bigint; postedBlock: bigint }> = [];
  private next: bigint | undefined;
  private lastDeadlineCheck = 0;

  private readonly client: AccordClient;
  private readonly handlers: FollowerHandlers;

  constructor(client: AccordClient, handlers: FollowerHandlers) {
    this.client = client;
    this.handlers = handlers;
  }

  get size(): number {
    return this.jobs.size + this.joining.length;
  }

  follow(jobId: bigint, postedBlock: bigint): void {
    this.joining.push({ jobId, postedBlock });
  }

  /** Stops following a job (settled and handled). */
  drop(jobId: bigint): void {
    this.jobs.delete(jobId);
  }

  history(jobId: bigint): JobHistory | undefined {
    return this.jobs.get(jobId)?.history;
  }

  /** One round: joins, new blocks, deadlines. Throws what the RPC throws (the caller retries the round). */
  async round(signal?: AbortSignal): Promise<void> {
    const { publicClient } = this.client;
    const market = this.client.deployment.jobMarket;
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    this.next ??= head + 1n;
    if (this.joining.length) {
      const joining = this.joining.slice();
      const behind = joining.filter((j) => j.postedBlock < this.next!);
      if (behind.length) {
        const from = behind.reduce((m, j) => (j.postedBlock < m ? j.postedBlock : m), behind[0]!.postedBlock);
        const ids = new Set(behind.map((j) => j.jobId));
        const past = await getMarketEvents(publicClient, { address: market, fromBlock: from, toBlock: this.next - 1n, signal });
        for (const j of joining) this.jobs.set(j.jobId, this.jobs.get(j.jobId) ?? {});
        this.dispatch(past, ids);
      } else for (const j of joining) this.jobs.set(j.jobId, this.jobs.get(j.jobId) ?? {});
      this.joining.splice(0, joining.length);
    }
    if (head >= this.next) {
      const events = await getMarketEvents(publicClient, { address: market, fromBlock: this.next, toBlock: head, signal });
      this.next = head + 1n;
      this.dispatch(events);
    }
    if (Date.now() - this.lastDeadlineCheck >= TASK_DEADLINE_CHECK_MS) {
      this.lastDeadlineCheck = Date.now();
      await this.checkDeadlines();
    }
  }

  private dispatch(events: MarketEvent[], only?: Set<bigint>): void {
    for (const raw of events) {
      const ev = toJobEvent(raw);
      if (!ev || (only && !only.has(ev.jobId))) continue;
      const entry = this.jobs.get(ev.jobId);
      if (!entry) continue;
      if (ev.type === "posted") {
        if (entry.history) continue;
        entry.history = newHistory(ev);
      } else if (entry.history) applyJobEvent(entry.history, ev);
      else continue;
      this.handlers.onEvent(ev.jobId, ev, entry.history);
    }
  }

  /**
   * Compares deadlines with the time the next block will carry, as best known: the latest
   * block's timestamp, or the wall clock when later (an automining chain makes no block while
   * nothing happens).
   */
  private async checkDeadlines(): Promise<void> {
    if (![...this.jobs.values()].some((e) => e.history?.deadline !== undefined)) return;
    const wall = BigInt(Math.floor(Date.now() / 1000));
    const block = await this.client.publicClient.getBlock({ blockTag: "latest" });
    const now = block.timestamp > wall ? block.timestamp : wall;
    for (const [jobId, entry] of this.jobs) {
      const h = entry.history;
      if (!h || h.deadline === undefined || h.deadline > now) continue;
      this.handlers.onDeadline(jobId, h, now);
    }
  }
}

/**
 * Runs the follower's rounds until `signal` aborts, at the client's polling interval. A round
 * that fails is retried at the next (the follower skips no block); the first failure of a
 * streak is told, not every one.
 */
export async function followLoop(client: AccordClient, follower: JobFollower, signal: AbortSignal, onWarning: (message: string) => void): Promise<void> {
  const pollMs = Math.max(FOLLOW_MIN_POLL_MS, client.pollingIntervalMs ?? 1_000);
  let failing = false;
  while (!signal.aborted) {
    try {
      await follower.round(signal);
      failing = false;
    } catch (err) {
      if (signal.aborted) return;
      if (!failing) onWarning(`reading the chain failed (${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message}); retrying`);
      failing = true;
    }
    await sleep(pollMs, signal);
  }
}

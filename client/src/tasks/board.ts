import type { NoBidsDiagnosis } from "../actions/errors.ts";
import type { TaskRecord } from "./state.ts";

/** Where a task stands in this process (its record in the state file says what survives a crash). */
export type Phase = "queued" | "posting" | "open" | "running" | "fetching" | "yielding" | "done" | "failed";

/** A task of the run as this process holds it. */
export type LiveTask = {
  name: string;
  rec: TaskRecord;
  phase: Phase;
  /** Why its open job got too few bids, asked before its deadline while the providers still knew it. */
  diagnosis?: NoBidsDiagnosis;
  /** Not claimed again before this time (ms): a claim may lose a race with a provider's. */
  claimAt?: number;
};

/** The tasks of a run, by phase, and which job belongs to which: what the poster and the settler share. */
export class TaskBoard {
  private readonly live = new Map<string, LiveTask>();
  private readonly byJob = new Map<bigint, string>();
  /** Tasks waiting to be posted, first in line first. */
  private readonly queue: string[] = [];
  private wakers: Array<() => void> = [];

  add(name: string, rec: TaskRecord, phase: Phase): LiveTask {
    const t: LiveTask = { name, rec, phase };
    this.live.set(name, t);
    return t;
  }

  get(name: string): LiveTask {
    const t = this.live.get(name);
    if (!t) throw new Error(`task ${name} is not on the board`);
    return t;
  }

  get size(): number {
    return this.live.size;
  }

  tasks(): IterableIterator<LiveTask> {
    return this.live.values();
  }

  /** The job of the task's current attempt. */
  assign(jobId: bigint, name: string): void {
    this.byJob.set(jobId, name);
  }

  taskOf(jobId: bigint): LiveTask | undefined {
    const name = this.byJob.get(jobId);
    return name === undefined ? undefined : this.live.get(name);
  }

  /** Puts tasks in line to be posted: behind the others, or in front (a batch that could not be posted keeps its place). */
  enqueue(names: string[], front = false): void {
    for (const n of names) this.get(n).phase = "queued";
    if (front) this.queue.unshift(...names);
    else this.queue.push(...names);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Takes up to `max` tasks from the front of the line, marked `posting`. */
  take(max: number): string[] {
    const names = this.queue.splice(0, max);
    for (const n of names) this.get(n).phase = "posting";
    return names;
  }

  /** Tasks posted (or being posted) and not yet settled and handled: their escrow is locked. */
  active(): number {
    let n = 0;
    for (const t of this.live.values()) if (t.phase === "posting" || t.phase === "open" || t.phase === "running" || t.phase === "fetching") n++;
    return n;
  }

  finished(): boolean {
    for (const t of this.live.values()) if (t.phase !== "done" && t.phase !== "failed") return false;
    return true;
  }

  /** Resolves at the next wake: a task queued, or room freed under the active limit, or the run stopping. */
  changed(): Promise<void> {
    return new Promise<void>((r) => this.wakers.push(r));
  }

  wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  counts(): { done: number; failed: number; queued: number; open: number; running: number } {
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

  /** Escrow of posted attempts not yet settled, in token units. */
  escrowed(): bigint {
    let escrowed = 0n;
    for (const t of this.live.values()) {
      const a = t.rec.attempts.at(-1);
      if (a?.status === "posted" && a.escrow) escrowed += BigInt(a.escrow);
    }
    return escrowed;
  }
}

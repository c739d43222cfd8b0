import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { TaskStateError } from "./errors.ts";
import type { TaskBag } from "./spec.ts";

/**
 * One post of a task. `posting` is written (and synced) before the post transaction is signed:
 * an attempt found in that state after a crash is reconciled against the chain's JobPosted
 * events, never posted again blindly.
 */
export type AttemptRecord = {
  /** 1 for the first post. */
  n: number;
  manifestCid: string;
  status: "posting" | "posted" | "refused" | "settled";
  /** The block number read just before the post was signed: the post, if it landed, is at or after it. */
  since?: string;
  jobId?: string;
  postedBlock?: string;
  escrow?: string;
  /** The settlement's state (Succeeded, Expired, Failed, NoConsensus). */
  outcome?: string;
  /** Why this attempt gave no verified result. */
  reason?: string;
  paid?: string;
  fee?: string;
  refunded?: string;
};

export type TaskRecord = {
  digest: string;
  status: "queued" | "active" | "done" | "failed";
  attempts: AttemptRecord[];
  resultCid?: string;
};

export type RunState = {
  version: 1;
  /** Random, per run: part of every attempt's manifest nonce, so no two attempts share a manifest CID. */
  runId: string;
  chainId: number;
  market: string;
  requester: string;
  /** Token units per replica, fixed at the first post so every attempt of the run offers the same. */
  maxPrice?: string;
  tasks: Record<string, TaskRecord>;
};

/** The nonce of a task's attempt: one manifest CID per attempt, and the same CID when an unposted attempt is posted again. */
export const attemptNonce = (runId: string, task: string, n: number) => `accord-run/${runId}/${task}/${n}`;

/**
 * The run's state file: read at start (a fresh state when absent), saved whole and atomically
 * (temporary file, fsync, rename) so a crash leaves the old or the new state, never half of one.
 */
export class TaskStateFile {
  readonly path: string;
  state: RunState;
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  private constructor(path: string, state: RunState) {
    this.path = path;
    this.state = state;
  }

  /** Opens the state of this bag for this requester on this market, checking it is the same work. */
  static async open(path: string, bag: TaskBag, who: { chainId: number; market: string; requester: string }): Promise<TaskStateFile> {
    let state: RunState | undefined;
    try {
      state = JSON.parse(await readFile(path, "utf8")) as RunState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new TaskStateError(path, `cannot be read (${(err as Error).message})`, "Restore it from a backup, or move it away to start the run afresh (tasks already posted would then be posted again).", err);
    }
    if (state) {
      if (state.version !== 1 || typeof state.tasks !== "object") throw new TaskStateError(path, "is not an accord run state", "Pass another --state file.");
      for (const [k, v] of Object.entries(who))
        if (String(state[k as keyof RunState]).toLowerCase() !== String(v).toLowerCase())
          throw new TaskStateError(path, `belongs to ${k} ${state[k as keyof RunState]}, not ${v}`, "Run with the same chain, market and account as before, or pass another --state file.");
      const changed = bag.tasks.filter((t) => state!.tasks[t.name] && state!.tasks[t.name]!.digest !== t.digest && state!.tasks[t.name]!.attempts.length > 0);
      if (changed.length)
        throw new TaskStateError(path, `records ${changed.length} task(s) that the spec now describes differently (${changed.slice(0, 5).map((t) => t.name).join(", ")}${changed.length > 5 ? ", ..." : ""})`, "Restore the spec as it was, or pass another --state file to run the changed spec afresh.");
    } else state = { version: 1, runId: randomBytes(8).toString("hex"), ...who, tasks: {} };
    for (const t of bag.tasks) state.tasks[t.name] ??= { digest: t.digest, status: "queued", attempts: [] };
    const file = new TaskStateFile(path, state);
    await file.save();
    return file;
  }

  /** Writes the state now and resolves once it is on disk. */
  save(): Promise<void> {
    if (this.timer) clearTimeout(this.timer), (this.timer = undefined);
    const text = JSON.stringify(this.state);
    this.writing = this.writing.then(() => writeAtomic(this.path, text));
    return this.writing;
  }

  /** Writes the state soon: for progress that a crash may lose (it is found again from the chain). */
  saveSoon(delayMs = 1_000): void {
    this.timer ??= setTimeout(() => void this.save().catch(() => {}), delayMs);
  }

  /** Writes the state a last time: whatever the run changed is on disk when it ends. */
  async close(): Promise<void> {
    await this.save();
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

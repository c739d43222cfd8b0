import type { TaskBoard } from "./board.ts";

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

/** What this process counted as it ran (the board holds where each task stands). */
export class RunTally {
  readonly started = Date.now();
  reposted = 0;
  spent = 0n;
  verified = 0;

  progress(board: TaskBoard, now = Date.now()): RunTasksProgress {
    const c = board.counts();
    const elapsedMs = now - this.started;
    return {
      total: board.size,
      done: c.done,
      failed: c.failed,
      queued: c.queued,
      waitingForBids: c.open,
      running: c.running,
      reposted: this.reposted,
      spent: this.spent,
      escrowed: board.escrowed(),
      elapsedMs,
      tasksPerSecond: elapsedMs > 0 ? (this.verified * 1000) / elapsedMs : 0,
    };
  }
}

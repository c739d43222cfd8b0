import { describe, expect, it } from "vitest";
import { TaskBoard } from "./board.ts";
import { RunTally } from "./progress.ts";
import type { TaskRecord } from "./state.ts";

const rec = (): TaskRecord => ({ digest: "d", status: "queued", attempts: [] });

describe("the board of a run's tasks", () => {
  it("posts in line order, keeps a batch's place when it could not be posted, and counts the escrow of posted attempts", () => {
    const board = new TaskBoard();
    for (const n of ["a", "b", "c"]) board.add(n, rec(), "queued");
    board.enqueue(["a", "b", "c"]);
    expect(board.take(2)).toEqual(["a", "b"]);
    expect(board.active()).toBe(2);
    board.enqueue(["a", "b"], true);
    expect(board.take(5)).toEqual(["a", "b", "c"]);
    board.get("a").rec.attempts.push({ n: 1, manifestCid: "m", status: "posted", escrow: "30" });
    board.get("b").rec.attempts.push({ n: 1, manifestCid: "m", status: "settled", escrow: "30" });
    expect(board.escrowed()).toBe(30n);
  });

  it("finds a task by its job, is finished only when every task is done or failed, and wakes every waiter", async () => {
    const board = new TaskBoard();
    board.add("a", rec(), "open");
    board.add("b", rec(), "done");
    board.assign(9n, "a");
    expect(board.taskOf(9n)?.name).toBe("a");
    expect(board.taskOf(10n)).toBeUndefined();
    expect(board.finished()).toBe(false);
    board.get("a").phase = "failed";
    expect(board.finished()).toBe(true);
    const woken = Promise.all([board.changed(), board.changed()]);
    board.wake();
    await woken;
    expect(() => board.get("zz")).toThrow(/not on the board/);
  });

  it("reports progress by phase with what the run counted", () => {
    const board = new TaskBoard();
    const phases = ["queued", "posting", "open", "running", "fetching", "yielding", "done", "failed"] as const;
    phases.forEach((p, i) => board.add(`t${i}`, rec(), p));
    const tally = new RunTally();
    tally.verified = 2;
    tally.reposted = 1;
    tally.spent = 5n;
    const p = tally.progress(board, tally.started + 1_000);
    expect(p).toEqual({ total: 8, done: 1, failed: 1, queued: 2, waitingForBids: 1, running: 3, reposted: 1, spent: 5n, escrowed: 0n, elapsedMs: 1_000, tasksPerSecond: 2 });
  });
});

// The runs page's grouping (lib/runs.ts): which jobs are a run's, which attempt of a task a cell
// shows, what it says, the counts and the spend, and who a run belongs to.
import { describe, expect, it } from "vitest";
import { attemptNonce, TASK_NAME as LIBRARY_TASK_NAME } from "@accord/client/tasks";
import { cellState, gridColumns, groupRun, parseRunNonce, runsOf, TASK_NAME, type RunAttempt } from "../lib/runs.ts";
import type { JobStateName } from "../lib/types.ts";

const ME = "0x00000000000000000000000000000000000000a1";
const OTHER = "0x00000000000000000000000000000000000000b2";
const P = "0x00000000000000000000000000000000000000c3";
let nextJob = 1;

function attempt(task: string, n: number, state: JobStateName, o: Partial<RunAttempt> & { runId?: string } = {}): RunAttempt {
  const id = nextJob++;
  const settled = !["Open", "Committing", "Revealing"].includes(state);
  return {
    tag: { runId: o.runId ?? "0123456789abcdef", task, attempt: n },
    jobId: String(id),
    requester: ME,
    state,
    postedBlock: 10 + id,
    postedAt: 1_000 + id,
    escrow: "1010",
    settled: settled ? { refunded: state === "Succeeded" ? "10" : "1010", block: 100 + id, time: 2_000 + id } : undefined,
    consensusCid: state === "Succeeded" ? `bafk-${task}` : undefined,
    agreeing: state === "Succeeded" ? [{ provider: P, sealedResultCid: `bafk-sealed-${task}` }] : [],
    ...o,
  };
}

describe("parseRunNonce", () => {
  it("reads the nonce the library writes for every attempt", () => {
    expect(parseRunNonce(attemptNonce("0123456789abcdef", "tile-12", 3))).toEqual({ runId: "0123456789abcdef", task: "tile-12", attempt: 3 });
    expect(parseRunNonce(attemptNonce("ff00ff00ff00ff00", "n.1_a-b", 1))).toEqual({ runId: "ff00ff00ff00ff00", task: "n.1_a-b", attempt: 1 });
  });

  it("refuses any other nonce: none, another scheme, a bad task name, attempt 0 or a missing part", () => {
    for (const nonce of [undefined, "", "3b1f…", "accord-run/", "accord-run/abc/t", "accord-run/abc/t/0", "accord-run/abc/t/01", "accord-run/abc/t/x", "accord-run/abc/.hidden/1", "accord-run/abc/t/1/extra", "accord-run/a b/t/1", "accord-run//t/1", "x-accord-run/abc/t/1"])
      expect(parseRunNonce(nonce), String(nonce)).toBeUndefined();
  });

  it("checks task names as the library does", () => {
    expect(TASK_NAME.source).toBe(LIBRARY_TASK_NAME.source);
  });
});

describe("groupRun", () => {
  it("shows each task's latest attempt, with its state in the requester's words and earlier attempts counted", () => {
    const a1 = attempt("tile-0", 1, "Succeeded");
    const b1 = attempt("tile-1", 1, "Expired");
    const b2 = attempt("tile-1", 2, "Committing");
    const c1 = attempt("tile-2", 1, "Open");
    const d1 = attempt("tile-10", 1, "NoConsensus");
    const e1 = attempt("tile-3", 1, "Revealing");
    // Posted in any order: the attempt number decides which is latest, not the order of the list.
    const run = groupRun("0123456789abcdef", [b2, d1, a1, c1, b1, e1], 5_000)!;
    expect(run.cells.map((c) => c.task)).toEqual(["tile-0", "tile-1", "tile-2", "tile-3", "tile-10"]);
    const cell = Object.fromEntries(run.cells.map((c) => [c.task, c]));
    expect(cell["tile-0"]).toMatchObject({ state: "verified", attempt: 1, attempts: 1, jobId: a1.jobId, consensusCid: "bafk-tile-0", settlementBlock: a1.settled!.block });
    expect(cell["tile-0"]!.agreeing).toEqual(a1.agreeing);
    expect(cell["tile-1"]).toMatchObject({ state: "running", attempt: 2, attempts: 2, jobId: b2.jobId, jobState: "Committing" });
    expect(cell["tile-1"]!.earlier).toEqual([{ attempt: 1, jobId: b1.jobId, state: "Expired" }]);
    expect(cell["tile-2"]).toMatchObject({ state: "waiting", jobState: "Open" });
    expect(cell["tile-3"]).toMatchObject({ state: "running", jobState: "Revealing" });
    expect(cell["tile-10"]).toMatchObject({ state: "failed", jobState: "NoConsensus", consensusCid: undefined, agreeing: [] });
    expect(run.counts).toEqual({ verified: 1, running: 2, waiting: 1, failed: 1 });
    // Settled: a1 kept 1000 of 1010, b1 and d1 were refunded whole; b2, c1, e1 are still escrowed.
    expect(run.spent).toBe("1000");
    expect(run.escrowed).toBe(String(3 * 1010));
    expect(run.jobs).toBe(6);
  });

  it("takes the later post when one attempt number was posted twice", () => {
    const first = attempt("t", 1, "Expired");
    const second = attempt("t", 1, "Succeeded");
    expect(groupRun("0123456789abcdef", [second, first], 0)!.cells[0]).toMatchObject({ jobId: second.jobId, state: "verified", attempts: 2 });
    expect(groupRun("0123456789abcdef", [first, second], 0)!.cells[0]).toMatchObject({ jobId: second.jobId });
  });

  it("belongs to whoever posted first: another account's jobs with the same run id are left out and counted", () => {
    const mine = attempt("t", 1, "Succeeded");
    const forged = attempt("t", 2, "Open", { requester: OTHER });
    const forgedNew = attempt("u", 1, "Open", { requester: OTHER });
    const run = groupRun("0123456789abcdef", [forged, mine, forgedNew], 0)!;
    expect(run.requester).toBe(ME);
    expect(run.cells.map((c) => [c.task, c.jobId])).toEqual([["t", mine.jobId]]);
    expect(run.foreignJobs).toBe(2);
    expect(runsOf(OTHER, [forged, mine, forgedNew], 0)).toEqual([]);
  });

  it("is nothing for a run id no job carries", () => {
    expect(groupRun("nope", [attempt("t", 1, "Open")], 0)).toBeUndefined();
  });
});

describe("runsOf", () => {
  it("lists a requester's runs newest first with their counts", () => {
    const old = attempt("a", 1, "Succeeded", { runId: "1111111111111111" });
    const recent = [attempt("a", 1, "Open", { runId: "2222222222222222" }), attempt("b", 1, "Failed", { runId: "2222222222222222" })];
    const theirs = attempt("a", 1, "Open", { runId: "3333333333333333", requester: OTHER });
    const runs = runsOf(ME.toUpperCase().replace("0X", "0x"), [old, ...recent, theirs], 0);
    expect(runs.map((r) => [r.runId, r.tasks])).toEqual([
      ["2222222222222222", 2],
      ["1111111111111111", 1],
    ]);
    expect(runs[0]!.counts).toEqual({ verified: 0, running: 0, waiting: 1, failed: 1 });
  });
});

describe("cells", () => {
  it("name every job state", () => {
    expect((["Open", "Committing", "Revealing", "Succeeded", "NoConsensus", "Failed", "Expired", "Cancelled"] as const).map(cellState)).toEqual([
      "waiting",
      "running",
      "running",
      "verified",
      "failed",
      "failed",
      "failed",
      "failed",
    ]);
  });

  it("lay a square picture's tiles out as the picture: T x T tiles in T columns", () => {
    expect([1, 2, 4, 5, 9, 64, 1000].map(gridColumns)).toEqual([1, 2, 2, 3, 3, 8, 32]);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Manifest } from "@accord/client/manifest";
import type { DeclineReason } from "@accord/client/net";
import { Journal } from "../journal/journal.ts";
import { DeclineBook, declinesStatement, waitingOrder, type WaitingJob } from "./waiting.ts";

const ME = "0x00000000000000000000000000000000000000aa" as const;
const CAPACITY: DeclineReason = { code: "capacity", message: "at capacity: 1 jobs queued for 1 worker(s)", queuedJobs: 1, maxQueuedJobs: 1 };
const OTHER = "0x00000000000000000000000000000000000000bb" as const;
const waitingJob = (replicas: number, bidDeadline: number, holdsSlot = true): WaitingJob => ({
  job: { requester: ME, maxPrice: 1n, minReputation: 0, bidDeadline, commitWindow: 60, collateralRatioBps: 0 },
  manifest: {} as Manifest,
  inputs: { moduleBytes: 0, inputBytes: 0 },
  replicas,
  holdsSlot,
  reason: CAPACITY,
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("waitingOrder", () => {
  it("fills jobs that hold a slot until their commit first, in one order every node shares: closest to k bids, then deadline, then id; full books last", () => {
    const waiting = new Map<bigint, WaitingJob>([
      [1n, waitingJob(3, 100, true)], // needs 3
      [2n, waitingJob(3, 100, true)], // needs 1
      [3n, waitingJob(2, 100, true)], // full (bid window still open)
      [4n, waitingJob(3, 90, true)], // needs 3, earlier deadline than 1
      [5n, waitingJob(2, 100, true)], // needs 1, same as 2: lower id first
      [6n, waitingJob(3, 100, true)], // needs 3, same as 1: lower id first
      [7n, waitingJob(3, 10, false)], // light: after every heavy one
    ]);
    const bids = new Map<bigint, number>([[2n, 2], [3n, 2], [5n, 1]]);
    expect(waitingOrder(waiting, bids, ME)).toEqual([2n, 5n, 4n, 1n, 6n, 3n, 7n]);
    expect(waitingOrder(waiting, bids, OTHER)).toEqual([2n, 5n, 4n, 1n, 6n, 3n, 7n]);
  });

  it("spreads nodes over light jobs: fewest bids first, then an order of each node's own", () => {
    const ids = Array.from({ length: 12 }, (_, i) => BigInt(i + 1));
    const waiting = new Map(ids.map((id) => [id, waitingJob(3, 100, false)]));
    const bids = new Map<bigint, number>([[12n, 2], [11n, 3]]);
    const mine = waitingOrder(waiting, bids, ME);
    const theirs = waitingOrder(waiting, bids, OTHER);
    // One bid short of the award, and full: last for everyone.
    expect(mine.slice(-2)).toEqual([12n, 11n]);
    expect(theirs.slice(-2)).toEqual([12n, 11n]);
    // The untouched jobs in different orders, so two nodes whose queues free together bid for different jobs.
    expect(new Set(mine.slice(0, 10))).toEqual(new Set(ids.slice(0, 10)));
    expect(mine.slice(0, 10)).not.toEqual(theirs.slice(0, 10));
    expect(mine[0]).not.toBe(theirs[0]);
  });
});

describe("declinesStatement", () => {
  it("tells waiting, evaluating, bid and declined jobs apart, with the reasons the node has", () => {
    const dir = mkdtempSync(join(tmpdir(), "accord-waiting-"));
    dirs.push(dir);
    const journal = new Journal(join(dir, "journal.sqlite"));
    try {
      const book = new DeclineBook(2);
      const waiting = new Map([[1n, waitingJob(1, 100)]]);
      journal.insert(1n, { phase: "evaluating" });
      journal.insert(2n, { phase: "evaluating" });
      journal.insert(3n, { phase: "bid" });
      journal.insert(4n, { phase: "declined", reason: "the job pays at most 1 per replica, this node asks 2" });
      journal.insert(5n, { phase: "lost" });
      const window: DeclineReason = { code: "window", message: "needs 100 s", commitWindowSeconds: 60, needSeconds: 100, estRunMs: 50_000 };
      book.set(4n, [window]);
      const s = (id: bigint) => declinesStatement(id, { me: ME, journal, waiting, book });
      expect(s(1n)).toEqual({ provider: ME, status: "waiting", reasons: [CAPACITY] });
      expect(s(2n)).toEqual({ provider: ME, status: "evaluating", reasons: [] });
      expect(s(3n).status).toBe("bid");
      expect(s(4n)).toEqual({ provider: ME, status: "declined", reasons: [window] });
      expect(s(5n).status).toBe("bid");
      expect(s(9n)).toEqual({ provider: ME, status: "unknown", reasons: [] });
      // Past the book's size (a restart empties it too), the journal's words stand in.
      book.set(10n, [window]);
      book.set(11n, [window]);
      expect(s(4n)).toEqual({ provider: ME, status: "declined", reasons: [{ code: "other", message: "the job pays at most 1 per replica, this node asks 2" }] });
      // A job whose content could not be fetched yet is still evaluating, with what failed; fetched, it says nothing again.
      const fetching: DeclineReason = { code: "manifest", message: "could not fetch the job's content yet", error: "no reachable peer served it" };
      book.set(2n, [fetching]);
      expect(s(2n)).toEqual({ provider: ME, status: "evaluating", reasons: [fetching] });
      book.delete(2n);
      expect(s(2n)).toEqual({ provider: ME, status: "evaluating", reasons: [] });
    } finally {
      journal.close();
    }
  });
});

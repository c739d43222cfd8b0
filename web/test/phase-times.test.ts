// Elapsed wall-clock time per phase of a job, from the block timestamps of its events.
import { describe, expect, it } from "vitest";
import { phaseTimes } from "../lib/phase-times.ts";
import type { TimelineEntry } from "../lib/types.ts";

const ev = (kind: TimelineEntry["kind"], time: number, block: number): TimelineEntry => ({ kind, time, block, tx: `0x${block.toString(16).padStart(64, "0")}` });

describe("phaseTimes", () => {
  it("measures posted → awarded → last reveal → settled, and the whole", () => {
    const got = phaseTimes([ev("posted", 100, 1), ev("bid", 104, 2), ev("awarded", 110, 3), ev("committed", 130, 4), ev("revealOpened", 131, 5), ev("revealed", 140, 6), ev("revealed", 145, 7), ev("settled", 150, 8)]);
    expect(got.map((p) => [p.key, p.seconds, p.from.block, p.to?.block])).toEqual([
      ["bidding", 10, 1, 3],
      ["running", 35, 3, 7],
      ["settling", 5, 7, 8],
      ["total", 50, 1, 8],
    ]);
  });

  it("leaves the phase going on open, without an end or a duration", () => {
    const got = phaseTimes([ev("posted", 100, 1), ev("awarded", 110, 3), ev("committed", 130, 4)]);
    expect(got.map((p) => [p.key, p.seconds, p.to])).toEqual([
      ["bidding", 10, { time: 110, block: 3 }],
      ["running", undefined, undefined],
      ["total", undefined, undefined],
    ]);
  });

  it("measures a job closed before its award as one phase, and one awarded but never revealed up to its settlement", () => {
    const expired = phaseTimes([ev("posted", 100, 1), ev("settled", 400, 9)]);
    expect(expired.map((p) => [p.label, p.seconds])).toEqual([
      ["Posted → closed without an award", 300],
      ["Posted → settled", 300],
    ]);
    const failed = phaseTimes([ev("posted", 100, 1), ev("awarded", 110, 2), ev("settled", 200, 3)]);
    expect(failed.map((p) => [p.key, p.seconds])).toEqual([
      ["bidding", 10],
      ["running", 90],
      ["total", 100],
    ]);
  });
});

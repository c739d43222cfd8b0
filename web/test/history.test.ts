// Series over time for the market's price chart and a provider's earnings chart.
import { describe, expect, it } from "vitest";
import { bucketLabel, bucketSize, MAX_BUCKETS, medianPerBucket, sumsPerBucket } from "../lib/history.ts";

const T0 = 1_700_000_000 - (1_700_000_000 % 86_400); // a midnight

describe("bucketSize", () => {
  it("takes the smallest step of the ladder that covers the span in at most 24 buckets", () => {
    expect(bucketSize(T0, T0 + 10 * 60)).toBe(60);
    expect(bucketSize(T0, T0 + 3600)).toBe(300);
    expect(bucketSize(T0, T0 + 20 * 3600)).toBe(3600);
    expect(bucketSize(T0, T0 + 3 * 86_400)).toBe(6 * 3600);
    expect(bucketSize(T0, T0 + 400 * 86_400)).toBe(30 * 86_400);
  });
  it("never gives more than 24 buckets, even past the ladder", () => {
    const size = bucketSize(T0, T0 + 5000 * 86_400);
    expect(Math.floor((T0 + 5000 * 86_400) / size) - Math.floor(T0 / size) + 1).toBeLessThanOrEqual(MAX_BUCKETS);
  });
});

describe("medianPerBucket", () => {
  it("gives each bucket the median of its values (the mean of the middle two for an even count) and skips empty ones", () => {
    const got = medianPerBucket(
      [
        { time: T0 + 10, amount: 3n },
        { time: T0 + 20, amount: 1n },
        { time: T0 + 30, amount: 2n },
        { time: T0 + 300, amount: 10n },
        { time: T0 + 310, amount: 20n },
      ],
      T0 + 600,
    );
    expect(got).toEqual([
      { start: T0, size: 60, median: "2", count: 3 },
      { start: T0 + 300, size: 60, median: "15", count: 2 },
    ]);
  });
  it("is empty without values", () => {
    expect(medianPerBucket([], T0)).toEqual([]);
  });
});

describe("sumsPerBucket", () => {
  it("adds earnings and slashes per bucket from registration to now, keeping the buckets with none", () => {
    const got = sumsPerBucket(
      [
        { time: T0 + 70, earned: 5n, slashed: 0n },
        { time: T0 + 80, earned: 7n, slashed: 0n },
        { time: T0 + 200, earned: 0n, slashed: 9n },
      ],
      T0,
      T0 + 200,
    );
    expect(got.map((b) => [b.start - T0, b.earned, b.slashed])).toEqual([
      [0, "0", "0"],
      [60, "12", "0"],
      [120, "0", "0"],
      [180, "0", "9"],
    ]);
  });
});

describe("bucketLabel", () => {
  it("shows the clock time under a day and the date from a day", () => {
    expect(bucketLabel(T0 + 3600 + 300, 300)).toBe("01:05");
    expect(bucketLabel(T0, 86_400)).toBe(new Date(T0 * 1000).toISOString().slice(5, 10));
  });
});

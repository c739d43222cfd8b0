/**
 * Series over time for the charts: values grouped in buckets of one size from a fixed ladder,
 * the smallest that covers the span in at most MAX_BUCKETS (a devnet's ten minutes and a live
 * market's months both draw as a readable number of bars).
 */
export const MAX_BUCKETS = 24;
export const BUCKET_LADDER_S = [60, 300, 900, 3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400] as const;

export function bucketSize(from: number, to: number): number {
  const span = Math.max(0, to - from);
  const largest = BUCKET_LADDER_S.at(-1)!;
  // Past the ladder: whole multiples of its largest step; aligned buckets can add one at the edge.
  return BUCKET_LADDER_S.find((s) => Math.floor(to / s) - Math.floor(from / s) + 1 <= MAX_BUCKETS) ?? largest * Math.ceil(span / (largest * (MAX_BUCKETS - 1)));
}

export function median(values: readonly bigint[]): bigint | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2n;
}

/** Unix seconds (block time) and a token amount. */
export type TimedAmount = { time: number; amount: bigint };

export type MedianBucket = { start: number; size: number; median: string; count: number };

/** The median per bucket from the first value to `now`; a bucket with no value is left out (no price is not a price of 0). */
export function medianPerBucket(values: readonly TimedAmount[], now: number): MedianBucket[] {
  if (!values.length) return [];
  const first = Math.min(...values.map((v) => v.time));
  const size = bucketSize(first, Math.max(now, first));
  const groups = new Map<number, bigint[]>();
  for (const v of values) {
    const start = Math.floor(v.time / size) * size;
    groups.set(start, [...(groups.get(start) ?? []), v.amount]);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([start, amounts]) => ({ start, size, median: median(amounts)!.toString(), count: amounts.length }));
}

export type SumBucket = { start: number; size: number; earned: string; slashed: string };

/** Sums per bucket from `from` to `now`, every bucket kept (earning nothing in an hour is 0). */
export function sumsPerBucket(values: readonly { time: number; earned: bigint; slashed: bigint }[], from: number, now: number): SumBucket[] {
  const to = Math.max(now, from, ...values.map((v) => v.time));
  const size = bucketSize(from, to);
  const first = Math.floor(from / size) * size;
  const buckets: SumBucket[] = [];
  const earned: bigint[] = [];
  const slashed: bigint[] = [];
  for (let start = first; start <= to; start += size) {
    buckets.push({ start, size, earned: "0", slashed: "0" });
    earned.push(0n);
    slashed.push(0n);
  }
  for (const v of values) {
    const i = Math.floor((v.time - first) / size);
    if (i < 0 || i >= buckets.length) continue;
    earned[i]! += v.earned;
    slashed[i]! += v.slashed;
  }
  return buckets.map((b, i) => ({ ...b, earned: earned[i]!.toString(), slashed: slashed[i]!.toString() }));
}

/** A bucket's label on an axis: the clock time for buckets under a day, the date otherwise. */
export function bucketLabel(start: number, size: number): string {
  const iso = new Date(start * 1000).toISOString();
  return size < 86_400 ? iso.slice(11, 16) : iso.slice(5, 10);
}

/** "15 min", "1 h", "1 d" for a bucket size. */
export function bucketName(size: number): string {
  if (size < 3600) return `${size / 60} min`;
  if (size < 86_400) return `${size / 3600} h`;
  return `${size / 86_400} d`;
}

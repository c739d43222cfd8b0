"use client";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { axisAmount, formatAmount, tokenNumber } from "@/lib/client/format.ts";
import { bucketLabel, bucketName } from "@/lib/history.ts";
import type { PriceBucket } from "@/lib/types.ts";
import { BarChart } from "./charts/BarChart.tsx";
import { Empty } from "./Status.tsx";

/** The median winning price per 10⁹ fuel per time bucket, by award time (the server buckets, lib/history.ts). */
export function PriceHistory({ buckets }: { buckets: PriceBucket[] }) {
  const c = useAppConfig();
  if (!buckets.length) return <Empty>No job with a known fuel limit has been awarded yet: the median winning price shows here once one is.</Empty>;
  const size = buckets[0]!.size;
  const last = buckets.at(-1)!;
  const replicas = buckets.reduce((n, b) => n + b.count, 0);
  const exact = (units: string) => `${formatAmount(units, c.tokenDecimals)} ${c.tokenSymbol}`;
  return (
    <div data-testid="price-history" data-latest={last.median}>
      <BarChart
        summary={`Median winning price per 10⁹ fuel per ${bucketName(size)}, over ${replicas} awarded replicas; latest ${exact(last.median)} (${bucketLabel(last.start, size)} UTC).`}
        series={["median winning price"]}
        tickFormat={axisAmount}
        format={(v) => `${axisAmount(v)} ${c.tokenSymbol}`}
        bars={buckets.map((b) => ({ label: bucketLabel(b.start, size), values: [tokenNumber(b.median, c.tokenDecimals)] }))}
      />
      <p className="small muted">
        Each bar: the median of the winning bids ÷ the job&apos;s fuel limit × 10⁹, over the replicas awarded in that {bucketName(size)} (UTC). Latest: {exact(last.median)} over {last.count}{" "}
        {last.count === 1 ? "replica" : "replicas"}.
      </p>
    </div>
  );
}

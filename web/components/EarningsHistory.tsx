"use client";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { axisAmount, formatAmount, tokenNumber } from "@/lib/client/format.ts";
import { bucketLabel, bucketName } from "@/lib/history.ts";
import type { EarningsBucket } from "@/lib/types.ts";
import { BarChart } from "./charts/BarChart.tsx";

/** What a provider was paid and slashed per time bucket since it registered, by settlement time. */
export function EarningsHistory({ buckets, earned, slashed }: { buckets: EarningsBucket[]; earned: string; slashed: string }) {
  const c = useAppConfig();
  const size = buckets[0]?.size ?? 60;
  const exact = (units: string) => `${formatAmount(units, c.tokenDecimals)} ${c.tokenSymbol}`;
  return (
    <div data-testid="earnings-history" data-earned={earned}>
      <BarChart
        summary={`Paid and slashed per ${bucketName(size)} since registration: ${exact(earned)} earned, ${exact(slashed)} slashed in all.`}
        series={["earned", "slashed"]}
        tickFormat={axisAmount}
        format={(v) => `${axisAmount(v)} ${c.tokenSymbol}`}
        bars={buckets.map((b) => ({ label: bucketLabel(b.start, size), values: [tokenNumber(b.earned, c.tokenDecimals), tokenNumber(b.slashed, c.tokenDecimals)] }))}
      />
      <p className="small muted">
        Per {bucketName(size)} (UTC), by the block that settled each replica. In all: {exact(earned)} earned, {exact(slashed)} slashed.
      </p>
    </div>
  );
}

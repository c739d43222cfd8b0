"use client";
import Link from "next/link";
import { Amount } from "@/components/Amount.tsx";
import { Card } from "@/components/Card.tsx";
import { BarChart } from "@/components/charts/BarChart.tsx";
import { JobsTable } from "@/components/JobsTable.tsx";
import { ProvidersTable } from "@/components/ProvidersTable.tsx";
import { PriceHistory } from "@/components/PriceHistory.tsx";
import { Stat } from "@/components/Stat.tsx";
import { ErrorNotice, Loading } from "@/components/Status.tsx";
import { useApi } from "@/lib/client/api.ts";
import type { MarketSnapshot } from "@/lib/types.ts";

export function MarketView({ initial }: { initial?: MarketSnapshot }) {
  const q = useApi<MarketSnapshot>("/api/market", initial);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Market</h1>
        <Link href="/post" className="button">
          Post a job
        </Link>
      </div>
      {q.isPending ? <Loading label="Reading the market…" /> : q.error ? <ErrorNotice error={q.error} title="The market could not be loaded" /> : <Market data={q.data} />}
    </div>
  );
}

function Market({ data }: { data: MarketSnapshot }) {
  const s = data.stats;
  const hour = (t: number) => new Date(t * 1000).toISOString().slice(11, 13) + "h";
  return (
    <>
      <section className="stats" aria-label="Market statistics">
        <Stat label="Open jobs" value={s.openJobs} hint={`${s.runningJobs} running · ${s.jobsTotal} posted in all`} />
        <Stat label="Active providers" value={s.activeProviders} />
        <Stat label="Total paid to providers" value={<Amount value={s.totalPaid} />} hint={<>fees <Amount value={s.totalFees} /></>} />
        <Stat
          label="Median price per 10⁹ fuel"
          value={s.medianPricePerGfuel ? <Amount value={s.medianPricePerGfuel} /> : "—"}
          hint={s.medianPricePerGfuel ? "winning bids ÷ fuel limit" : "no awarded job with a known fuel limit yet"}
        />
        <Stat
          label="Jobs in the last hour"
          value={s.jobsLastHour}
          // A quorum agreeing says the run was reproduced, not that the program worked: its exit status is sealed to the requester.
          hint={`${s.succeededJobs} of ${s.settledJobs} settled jobs reached a quorum (exit statuses are sealed to requesters)`}
        />
      </section>
      <Card title="Jobs per hour" id="jobs-per-hour">
        <BarChart
          summary={`Jobs posted and settled per hour over the last 24 hours; ${s.jobsLastHour} posted in the last hour.`}
          series={["posted", "settled"]}
          width={1100}
          height={200}
          bars={data.jobsPerHour.map((h) => ({ label: hour(h.hourStart), values: [h.posted, h.settled] }))}
        />
      </Card>
      <Card title="Price per 10⁹ fuel over time" id="price-history" action={<Link href="/jobs?state=Succeeded">Settled jobs</Link>}>
        <PriceHistory buckets={data.priceHistory} />
      </Card>
      <Card title="Open and running jobs" id="open-jobs" action={<Link href="/jobs?state=Open">All open jobs</Link>}>
        <JobsTable jobs={data.open} now={s.chainTime} caption="Open and running jobs" empty="No job is waiting for bids or running right now." />
      </Card>
      <Card title="Recently settled" id="recent-jobs" action={<Link href="/jobs">All jobs, with filters</Link>}>
        <JobsTable jobs={data.recent} now={s.chainTime} caption="Recently settled jobs" empty="No job has settled yet." />
      </Card>
      <Card title="Active providers" id="active-providers" action={<Link href="/providers">Leaderboard</Link>}>
        <ProvidersTable providers={data.providers} caption="Active providers" />
      </Card>
    </>
  );
}

"use client";
import { bps, formatTime, percent, shortCid } from "@/lib/client/format.ts";
import type { ProviderDetail } from "@/lib/types.ts";
import { Amount } from "./Amount.tsx";
import { Card } from "./Card.tsx";
import { Address } from "./Address.tsx";
import { CopyText } from "./CopyText.tsx";
import { EarningsHistory } from "./EarningsHistory.tsx";
import { LineChart } from "./charts/LineChart.tsx";
import { ProviderHistory } from "./ProviderHistory.tsx";
import { Stat } from "./Stat.tsx";

export function ProviderView({ p }: { p: ProviderDetail }) {
  return (
    <>
      <section className="stats" aria-label="Provider statistics">
        <Stat label="Reputation" value={bps(p.score)} hint={`${p.agreed} agreed · ${p.dissented} dissented · ${p.missed} missed`} />
        <Stat label="Agreement rate" value={percent(p.agreementRate)} hint={`${p.awarded} replicas settled`} />
        <Stat label="Stake" value={<Amount value={p.stake} />} hint={<>locked <Amount value={p.locked} /></>} />
        <Stat label="Earned" value={<Amount value={p.earned} />} hint={<>slashed <Amount value={p.slashed} /></>} />
        <Stat label="Ask per 10⁹ fuel" value={<Amount value={p.askPrice} />} hint={p.medianPricePerGfuel ? <>median won <Amount value={p.medianPricePerGfuel} /></> : `${p.bids} bids placed`} />
      </section>
      <div className="grid-2">
        <Card title="Reputation over time" id="reputation">
          <LineChart
            summary={`Reputation score from registration through ${p.reputation.length} settled replicas; now ${bps(p.score)}.`}
            // Every provider starts at the newcomer score, (0 + 1) / (0 + 2).
            points={[{ x: p.registeredAt, y: 50, label: "registered: 50 %" }, ...p.reputation.map((r) => ({ x: r.time, y: r.score / 100, label: `${r.outcome} in job ${r.jobId}: ${bps(r.score)}` }))]}
            yMax={100}
            formatY={(v) => `${Math.round(v)} %`}
          />
        </Card>
        <Card title="Earnings over time" id="earnings-history">
          <EarningsHistory buckets={p.earningsHistory} earned={p.earned} slashed={p.slashed} />
        </Card>
      </div>
      <Card title="Identity" id="identity">
          <dl className="facts">
            <dt>Address</dt>
            <dd>
              {/* Its account page: the jobs it posted and its balances; the provider page is this one. */}
              <span data-testid="provider-address">
                <Address value={p.address} />
              </span>
            </dd>
            <dt>Peer id</dt>
            <dd>{p.peerId ? <CopyText value={p.peerId} shown={shortCid(p.peerId)} label="peer id" /> : "—"}</dd>
            <dt>Addresses</dt>
            <dd className="mono">{p.multiaddrs.length ? p.multiaddrs.join("\n") : "—"}</dd>
            <dt>Registered</dt>
            <dd>{formatTime(p.registeredAt)}</dd>
            <dt>Status</dt>
            <dd>{p.active ? <span className="badge ok">Active</span> : <span className="badge neutral">Inactive (stake below minimum)</span>}</dd>
          </dl>
      </Card>
      <Card title="History" id="history">
        <ProviderHistory rows={p.history} />
      </Card>
    </>
  );
}

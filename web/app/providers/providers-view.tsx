"use client";
import { Card } from "@/components/Card.tsx";
import { BarChart } from "@/components/charts/BarChart.tsx";
import { compactNumber } from "@/components/charts/useWidth.ts";
import { ProvidersTable } from "@/components/ProvidersTable.tsx";
import { ErrorNotice, Loading } from "@/components/Status.tsx";
import { useApi } from "@/lib/client/api.ts";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { formatAmount, shortAddress } from "@/lib/client/format.ts";
import type { ProviderRow } from "@/lib/types.ts";

export function ProvidersView({ initial }: { initial?: ProviderRow[] }) {
  const q = useApi<ProviderRow[]>("/api/providers", initial);
  const c = useAppConfig();
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Providers</h1>
        <p className="muted small" style={{ margin: 0 }}>
          Reputation is the on-chain agreement score (agreed + 1) ÷ (awarded + 2).
        </p>
      </div>
      {q.isPending ? (
        <Loading label="Reading providers…" />
      ) : q.error ? (
        <ErrorNotice error={q.error} title="The providers could not be loaded" />
      ) : (
        <>
          <Card title="Leaderboard" id="leaderboard">
            <ProvidersTable providers={q.data} caption="Provider leaderboard" />
          </Card>
          {q.data.length > 0 && (
            <div className="grid-2">
              <Card title="Reputation and agreement" id="reputation-chart">
                <BarChart
                  summary="Reputation score and agreement rate per provider, in percent."
                  series={["reputation %", "agreement %"]}
                  format={(v) => `${v}`}
                  bars={q.data.map((p) => ({ label: shortAddress(p.address), href: `/providers/${p.address}`, values: [p.score / 100, (p.agreementRate ?? 0) * 100] }))}
                />
              </Card>
              <Card title={`Stake (${c.tokenSymbol})`} id="stake-chart">
                <BarChart
                  summary={`Stake per provider in ${c.tokenSymbol}; locked collateral shown beside it.`}
                  series={["stake", "locked"]}
                  format={compactNumber}
                  bars={q.data.map((p) => ({
                    label: shortAddress(p.address),
                    href: `/providers/${p.address}`,
                    values: [Number(formatAmount(p.stake, c.tokenDecimals, 2).replace(/,/g, "")), Number(formatAmount(p.locked, c.tokenDecimals, 2).replace(/,/g, ""))],
                  }))}
                />
              </Card>
            </div>
          )}
        </>
      )}
    </div>
  );
}

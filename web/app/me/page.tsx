"use client";
import Link from "next/link";
import { useConnection } from "wagmi";
import { Amount } from "@/components/Amount.tsx";
import { Card } from "@/components/Card.tsx";
import { CopyText } from "@/components/CopyText.tsx";
import { JobsTable } from "@/components/JobsTable.tsx";
import { ProviderView } from "@/components/ProviderView.tsx";
import { Stat } from "@/components/Stat.tsx";
import { ErrorNotice, Loading } from "@/components/Status.tsx";
import { TxStatus } from "@/components/TxStatus.tsx";
import { useApi } from "@/lib/client/api.ts";
import { shortAddress } from "@/lib/client/format.ts";
import { useMarketTx } from "@/lib/client/use-market-tx.ts";
import { useMounted } from "@/lib/client/use-mounted.ts";
import type { AccountSnapshot } from "@/lib/types.ts";

export default function MyAccountPage() {
  const conn = useConnection();
  const mounted = useMounted();
  const q = useApi<AccountSnapshot>(conn.address ? `/api/accounts/${conn.address}` : undefined);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>My jobs &amp; earnings</h1>
        {mounted && conn.address && <CopyText value={conn.address} shown={shortAddress(conn.address)} label="your address" testId="my-address" />}
      </div>
      {!mounted || conn.isReconnecting ? (
        <Loading label="Looking for your wallet…" />
      ) : !conn.isConnected ? (
        <div className="notice info">
          <p>Connect a wallet (top right) to see the jobs you posted and what you earned as a provider.</p>
        </div>
      ) : q.isPending ? (
        <Loading label="Reading your history…" />
      ) : q.error ? (
        <ErrorNotice error={q.error} title="Your history could not be loaded" />
      ) : (
        <Account a={q.data} />
      )}
    </div>
  );
}

function Account({ a }: { a: AccountSnapshot }) {
  return (
    <>
      <section className="stats" aria-label="Account">
        <Stat label="Token balance" value={<Amount value={a.balance} />} testId="stat-balance" />
        <Stat label="Withdrawable from the market" value={<Amount value={a.withdrawable} />} hint="refunds, slashed collateral and earnings" testId="stat-withdrawable" />
        <Stat label="Jobs posted" value={a.jobs.length} />
        <Stat label="Spent (escrow net of refunds)" value={<Amount value={a.spent} />} hint={<>refunded <Amount value={a.refunded} /></>} />
        <Stat label="Slashed collateral received" value={<Amount value={a.slashedToMe} />} />
      </section>
      <Withdraw withdrawable={a.withdrawable} />
      <Card title="My jobs" id="my-jobs" action={<Link href="/post">Post a job</Link>}>
        <JobsTable jobs={a.jobs} now={a.chainTime} caption="Jobs I posted" empty="You have not posted a job yet." />
      </Card>
      <Card title="My earnings as a provider" id="earnings">
        {a.provider ? <ProviderView p={a.provider} /> : <p className="muted">This account is not a registered provider. Providers join with <code>accord-provider register</code>.</p>}
      </Card>
    </>
  );
}

/** The market credits refunds and earnings (pull payments); nothing reaches the wallet until this. */
function Withdraw({ withdrawable }: { withdrawable: string }) {
  const tx = useMarketTx();
  const nothing = BigInt(withdrawable) === 0n;
  return (
    <div className="stack" data-testid="withdraw">
      <div className="row">
        <button type="button" className="button" data-testid="withdraw-button" disabled={tx.busy || nothing} onClick={() => void tx.run({ functionName: "withdraw", args: [] })}>
          {nothing ? "Withdraw" : <>Withdraw <Amount value={withdrawable} /></>}
        </button>
        <span className="small muted">{nothing ? "Nothing to withdraw: refunds and earnings show here once a job settles." : "Sends everything the market credits to this account to your wallet."}</span>
      </div>
      <TxStatus state={tx.state} done="Withdrawn to your wallet." failed="Nothing was withdrawn" />
    </div>
  );
}

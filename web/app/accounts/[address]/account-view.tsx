"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { useConnection } from "wagmi";
import { Amount } from "@/components/Amount.tsx";
import { Card } from "@/components/Card.tsx";
import { CopyText } from "@/components/CopyText.tsx";
import { JobsTable } from "@/components/JobsTable.tsx";
import { ProviderView } from "@/components/ProviderView.tsx";
import { RunsTable } from "@/components/RunsTable.tsx";
import { Stat } from "@/components/Stat.tsx";
import { ErrorNotice, Loading } from "@/components/Status.tsx";
import { TxStatus } from "@/components/TxStatus.tsx";
import { FROM_ME } from "@/lib/account-cookie.ts";
import { useApi } from "@/lib/client/api.ts";
import { shortAddress } from "@/lib/client/format.ts";
import { useMarketTx } from "@/lib/client/use-market-tx.ts";
import { useMounted } from "@/lib/client/use-mounted.ts";
import type { AccountSnapshot } from "@/lib/types.ts";

/**
 * Any address's jobs posted, replicas served and balances, rendered on the server with its data
 * (the address is in the URL); the connected wallet's own page adds withdrawing.
 */
export function AccountView({ address, initial, fromMe }: { address: string; initial?: AccountSnapshot; fromMe: boolean }) {
  const q = useApi<AccountSnapshot>(`/api/accounts/${address}`, initial);
  const conn = useConnection();
  const mounted = useMounted();
  const router = useRouter();
  const wallet = mounted && conn.status === "connected" ? conn.address : undefined;
  const mine = !!wallet && wallet.toLowerCase() === address.toLowerCase();
  // "My jobs" sent the browser here by the address it last remembered; the wallet has since
  // moved to another account, and "my" jobs are that account's.
  useEffect(() => {
    if (fromMe && wallet && !mine) router.replace(`/accounts/${wallet}?from=${FROM_ME}`);
  }, [fromMe, wallet, mine, router]);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>
          {mine ? "My jobs & earnings" : "Account"} <CopyText value={address} shown={shortAddress(address)} label="address" testId="account-address" />
        </h1>
        {mine ? (
          <span className="badge info">your connected wallet</span>
        ) : (
          wallet && <Link href={`/accounts/${wallet}`}>Your wallet&apos;s account</Link>
        )}
      </div>
      {fromMe && mounted && conn.status === "disconnected" && (
        <div className="notice info" data-testid="wallet-not-connected">
          <p>Your wallet is not connected: these are the jobs of the account it last used. Connect it (top right) to withdraw.</p>
        </div>
      )}
      {q.isPending ? <Loading label="Reading the account's history…" /> : q.error ? <ErrorNotice error={q.error} title="This account could not be loaded" /> : <Account a={q.data} mine={mine} />}
    </div>
  );
}

function Account({ a, mine }: { a: AccountSnapshot; mine: boolean }) {
  return (
    <>
      <section className="stats" aria-label="Account">
        <Stat label="Token balance" value={<Amount value={a.balance} />} testId="stat-balance" />
        <Stat label="Withdrawable from the market" value={<Amount value={a.withdrawable} />} hint="refunds, slashed collateral and earnings" testId="stat-withdrawable" />
        <Stat label="Jobs posted" value={a.jobs.length} />
        <Stat label="Spent (escrow net of refunds)" value={<Amount value={a.spent} />} hint={<>refunded <Amount value={a.refunded} /></>} />
        <Stat label="Slashed collateral received" value={<Amount value={a.slashedToMe} />} />
      </section>
      {mine && <Withdraw withdrawable={a.withdrawable} />}
      <Card title={mine ? "My jobs" : "Jobs posted"} id="my-jobs" action={mine ? <Link href="/post">Post a job</Link> : undefined}>
        <JobsTable jobs={a.jobs} now={a.chainTime} caption="Jobs this account posted" empty={mine ? "You have not posted a job yet." : "This account has not posted a job."} />
      </Card>
      {a.runs.length > 0 && (
        <Card title={mine ? "Your runs" : "Runs"} id="runs">
          <RunsTable runs={a.runs} now={a.chainTime} caption="Bags of tasks this account ran" />
        </Card>
      )}
      <Card title={mine ? "My earnings as a provider" : "Replicas served as a provider"} id="earnings">
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

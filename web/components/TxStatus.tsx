"use client";
import type { MarketTxState } from "@/lib/client/use-market-tx.ts";
import { TX_STEP_LABEL } from "@/lib/client/market-tx.ts";
import { ErrorNotice } from "./Status.tsx";

/** Where a market call is: checking, signing, mining, confirmed, or why the chain refused it. */
export function TxStatus({ state, done, failed }: { state: MarketTxState; done: string; failed: string }) {
  if (state.phase === "idle") return null;
  if (state.phase === "failed") return <ErrorNotice error={state.error} title={failed} />;
  if (state.phase === "confirmed")
    return (
      <p className="notice ok small" role="status" data-testid="tx-confirmed">
        {done} Confirmed in block {state.blockNumber.toString()} (<span className="mono">{state.hash.slice(0, 10)}…</span>).
      </p>
    );
  return (
    <p className="loading small" role="status" aria-live="polite" data-testid="tx-pending" data-step={state.phase}>
      <span className="spinner" aria-hidden="true" />
      {TX_STEP_LABEL[state.phase]}
    </p>
  );
}

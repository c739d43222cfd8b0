"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import type { Hash } from "viem";
import { useConfig, useConnection } from "wagmi";
import { useAppConfig } from "./app-config.tsx";
import { sendMarketCall, type MarketCall, type TxStep } from "./market-tx.ts";
import { useNetwork } from "./use-network.ts";

export type MarketTxState =
  | { phase: "idle" }
  | { phase: TxStep; call: MarketCall }
  | { phase: "confirmed"; call: MarketCall; hash: Hash; blockNumber: bigint }
  | { phase: "failed"; call: MarketCall; error: unknown };

/**
 * Sends one market call at a time from the connected wallet and keeps its outcome, so the page
 * can still say "confirmed" after the refreshed data has taken the button away.
 */
export function useMarketTx() {
  const wagmi = useConfig();
  const app = useAppConfig();
  const conn = useConnection();
  const queryClient = useQueryClient();
  const network = useNetwork();
  const [state, setState] = useState<MarketTxState>({ phase: "idle" });
  const run = useCallback(
    async (call: MarketCall) => {
      if (!conn.address) return setState({ phase: "failed", call, error: new Error("Connect a wallet first (top right): it signs the transaction.") });
      if (network.problem) return setState({ phase: "failed", call, error: network.problem });
      try {
        const done = await sendMarketCall({ wagmi, app, account: conn.address, call, onStep: (phase) => setState({ phase, call }) });
        setState({ phase: "confirmed", call, ...done });
      } catch (error) {
        setState({ phase: "failed", call, error });
      } finally {
        // A refusal means the page was out of date, a success that it is now: refetch either way.
        // The server's block stream refetches again once its index has read the new block.
        void queryClient.invalidateQueries({ queryKey: ["api"] });
      }
    },
    [wagmi, app, conn.address, queryClient, network.problem],
  );
  const busy = state.phase === "simulate" || state.phase === "sign" || state.phase === "confirm";
  return { state, run, busy };
}

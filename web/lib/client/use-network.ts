"use client";
import { BaseError } from "@accord/client/errors";
import { useConnection, useSwitchChain } from "wagmi";
import { useAppConfig } from "./app-config.tsx";

/** Names of chains a wallet is often left on, so the message can say where the wallet is. */
const KNOWN_CHAINS: Record<number, string> = { 1: "Ethereum mainnet", 10: "OP Mainnet", 137: "Polygon", 8453: "Base", 42161: "Arbitrum One", 11155111: "Sepolia", 17000: "Holesky" };

export const chainLabel = (id: number) => (KNOWN_CHAINS[id] ? `${KNOWN_CHAINS[id]} (chain ${id})` : `chain ${id}`);

/** The wallet signs on another chain than the market's: nothing it signs would reach the market. */
export class WrongNetworkError extends BaseError {
  override name = "WrongNetworkError";
  constructor(walletChainId: number, market: { chainId: number; chainName: string }) {
    super(`Your wallet is on ${chainLabel(walletChainId)}, but this market is on ${market.chainName} (chain ${market.chainId}).`, {
      fix: `Switch the wallet to ${market.chainName} ("Switch network" here or in the wallet menu, top right), then try again. Nothing was signed or sent.`,
    });
  }
}

/** Whether the connected wallet is on the market's chain, and the action that moves it there. */
export function useNetwork() {
  const app = useAppConfig();
  const conn = useConnection();
  const { switchChain, isPending, error } = useSwitchChain();
  const wrong = conn.isConnected && conn.chainId !== undefined && conn.chainId !== app.chainId;
  return {
    wrong,
    /** The error a signing action reports instead of asking the wallet to sign on the wrong chain. */
    problem: wrong ? new WrongNetworkError(conn.chainId!, app) : undefined,
    switchNetwork: () => switchChain({ chainId: app.chainId }),
    switching: isPending,
    switchError: error,
  };
}

import { erc20Abi, type Address } from "viem";
import { readParameters } from "../../chain/market.ts";
import { explainChainError } from "../../chain/revert.ts";
import { BPS } from "../../generated/limits.ts";
import { InsufficientBalanceError } from "../errors.ts";
import { formatAmount, getTokenInfo, type TokenInfo } from "../internal/token.ts";
import type { MarketChain } from "./marketChain.ts";

/**
 * What postJob moves into escrow: replicas × maxPrice plus the protocol fee on it (replicas: the
 * job's maxReplicas, which escalation may use; see escrowedReplicas), the fee
 * rounded down as the contract's `_escrow` rounds it (contracts/JobSettlement.sol).
 */
export function escrowFor(replicas: number, maxPrice: bigint, feeBps: number): { escrow: bigint; fee: bigint } {
  const base = BigInt(replicas) * maxPrice;
  const fee = (base * BigInt(feeBps)) / BigInt(BPS);
  return { escrow: base + fee, fee };
}

/** What posting needs from the chain: the market's fee, the token, the owner's balance and allowance to the market. */
export type EscrowTerms = { protocolFeeBps: number; token: TokenInfo; balance: bigint; allowance: bigint };

/**
 * Reads the escrow terms. submitJob starts this before its uploads (they do not depend on each
 * other) and hands the promise to postJob; it is observed at once, so an upload that fails first
 * does not leave it unhandled.
 */
export function readEscrowTerms(chain: MarketChain, owner: Address): Promise<EscrowTerms> {
  const { publicClient, market, token } = chain;
  const reads = Promise.all([
    readParameters(publicClient, market),
    getTokenInfo(chain),
    publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [owner] }),
    publicClient.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [owner, market] }),
  ]).then(
    ([params, tokenInfo, balance, allowance]) => ({ protocolFeeBps: params.protocolFeeBps, token: tokenInfo, balance, allowance }),
    (err) => {
      throw explainChainError("Reading the escrow terms and your balance", err);
    },
  );
  reads.catch(() => {});
  return reads;
}

/** Refuses, before any transaction, an escrow the owner's balance cannot cover. */
export function requireBalance(owner: Address, needed: bigint, terms: EscrowTerms): void {
  if (terms.balance >= needed) return;
  throw new InsufficientBalanceError({
    needed: formatAmount(needed, terms.token.decimals),
    balance: formatAmount(terms.balance, terms.token.decimals),
    symbol: terms.token.symbol,
    account: owner,
    neededUnits: needed,
    balanceUnits: terms.balance,
  });
}

import { erc20Abi, type Address } from "viem";
import type { AccordClient } from "../../client.ts";
import { readParameters } from "../../chain/market.ts";
import { explainChainError } from "../../chain/revert.ts";
import { InsufficientBalanceError } from "../errors.ts";
import { formatAmount, getTokenInfo, type TokenInfo } from "./token.ts";

/**
 * What posting needs from the chain: the market's terms, the token, the owner's balance and its
 * allowance to the market. Started before the uploads (they do not depend on each other) and
 * observed at once, so an upload that fails first does not leave it unhandled.
 */
export function readEscrowTerms(client: AccordClient, owner: Address) {
  const { jobMarket: market, token } = client.deployment;
  const reads = Promise.all([
    readParameters(client.publicClient, market),
    getTokenInfo(client),
    client.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [owner] }),
    client.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [owner, market] }),
  ]).catch((err) => {
    throw explainChainError("Reading the escrow terms and your balance", err);
  });
  reads.catch(() => {});
  return reads;
}

/** Refuses, before any transaction, an escrow the owner's balance cannot cover. */
export function requireBalance(owner: Address, needed: bigint, balance: bigint, token: TokenInfo): void {
  if (balance >= needed) return;
  throw new InsufficientBalanceError({
    needed: formatAmount(needed, token.decimals),
    balance: formatAmount(balance, token.decimals),
    symbol: token.symbol,
    account: owner,
    neededUnits: needed,
    balanceUnits: balance,
  });
}

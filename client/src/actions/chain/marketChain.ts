import type { Account, Address, PublicClient, WalletClient } from "viem";
import { BaseError } from "../../errors.ts";
import { AccountRequiredError } from "../errors.ts";

/**
 * What the chain actions take: any viem clients (createPublicClient/createWalletClient, wagmi's
 * getPublicClient/getWalletClient) and the deployment's two addresses. An AccordClient is one.
 */
export type MarketChain = {
  readonly publicClient: PublicClient;
  /** Signs and sends; its account pays. Actions that only read work without one. */
  readonly walletClient?: WalletClient;
  /** The JobMarket contract. */
  readonly market: Address;
  /** Its settlement token (ERC-20, ERC-2612 permits where it has them). */
  readonly token: Address;
  /** How often waits poll for a receipt (default: the public client's pollingInterval). */
  readonly pollingIntervalMs?: number;
};

export type Signer = { walletClient: WalletClient; account: Account; chainId: number };

/** The wallet client and its account, or AccountRequiredError naming the action that needed them. */
export function signerOf(chain: MarketChain, action: string): Signer {
  const { walletClient } = chain;
  if (!walletClient?.account) throw new AccountRequiredError(action);
  const chainId = walletClient.chain?.id ?? chain.publicClient.chain?.id;
  // Transactions are signed for a chain, and the account's turns (transact.ts) are kept per chain.
  if (chainId === undefined)
    throw new BaseError(`${action} needs to know the chain it signs for, and neither client has one.`, { fix: "Create the wallet or public client with `chain` (e.g. viem/chains' hardhat)." });
  return { walletClient, account: walletClient.account, chainId };
}

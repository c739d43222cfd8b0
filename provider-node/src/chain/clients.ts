import { createPublicClient, http, type Address, type PrivateKeyAccount, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import { readDeployment } from "@accord/client/deployments";
import { explainChainError } from "@accord/client/chain";
import type { ProviderLimits } from "../constants.ts";
import { TxBatcher } from "./batcher.ts";
import { TxSender } from "./sender.ts";

export type ChainContext = {
  client: PublicClient;
  account: PrivateKeyAccount;
  chainId: number;
  market: Address;
  /** Block where the market was deployed, when known: the first block a new provider follows. */
  startBlock?: bigint;
  sender: TxSender;
  /** The market calls of the daemon's jobs, batched into one transaction per tick. */
  batcher: TxBatcher;
};

export type ConnectParameters = {
  rpcUrl: string;
  privateKey: Hex;
  market?: Address;
  limits: ProviderLimits;
  onRetry?: (what: string, err: unknown, retryInMs: number) => void;
  /** Run before each batch of market calls is sent (see TxBatcherOptions.beforeSend). */
  beforeSend?: () => void;
  signal?: AbortSignal;
};

/**
 * Connects to the chain: a public client (no automatic retries: the callers wait out outages
 * themselves, without blocking other work), the account, and the one transaction queue.
 */
export async function connectChain(p: ConnectParameters): Promise<ChainContext> {
  const client = createPublicClient({
    transport: http(p.rpcUrl, { timeout: p.limits.rpcRequestTimeoutMs, retryCount: 0 }),
    pollingInterval: p.limits.pollIntervalMs,
  }) as PublicClient;
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (err) {
    throw explainChainError(`Connecting to ${new URL(p.rpcUrl).origin}`, err);
  }
  let market = p.market;
  let startBlock: bigint | undefined;
  if (!market) {
    const deployment = readDeployment(chainId);
    market = deployment.jobMarket;
    startBlock = BigInt(deployment.startBlock);
  }
  const account = privateKeyToAccount(p.privateKey);
  const sender = new TxSender({
    client,
    account,
    chainId,
    receiptTimeoutMs: p.limits.txReceiptTimeoutMs,
    retryMinMs: p.limits.rpcRetryMinMs,
    retryMaxMs: p.limits.rpcRetryMaxMs,
    onRetry: p.onRetry,
    signal: p.signal,
  });
  const batcher = new TxBatcher({ client, sender, market, me: account.address, intervalMs: p.limits.txBatchIntervalMs, maxCalls: p.limits.txBatchMaxCalls, beforeSend: p.beforeSend, signal: p.signal });
  return { client, account, chainId, market, startBlock, sender, batcher };
}

// The chain the actions take (any viem clients and the deployment's addresses), and how they write
// to it: the signer, one JobMarket transaction sent in the account's turn, and the wait for it.
import type { Account, Address, Hash, PublicClient, TransactionReceipt, WalletClient } from "viem";
import { explainChainError } from "../../chain/revert.ts";
import { BaseError } from "../../errors.ts";
import { jobMarketAbi } from "../../generated/abi.ts";
import { AccountRequiredError, TransactionRevertedError } from "../errors.ts";

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
  // Transactions are signed for a chain, and the account's turns (sendInTurn) are kept per chain.
  if (chainId === undefined)
    throw new BaseError(`${action} needs to know the chain it signs for, and neither client has one.`, { fix: "Create the wallet or public client with `chain` (e.g. viem/chains' hardhat)." });
  return { walletClient, account: walletClient.account, chainId };
}

/** Longest wait for a transaction to be mined before telling the user. */
export const RECEIPT_TIMEOUT_MS = 120_000;
/** Gas added to 130 % of the estimate, for state that changes between the estimate and the block. */
export const GAS_HEADROOM = 10_000n;
/**
 * More for a post: estimated while a finished job's record was free (rewriting ~8 slots at 5,000
 * gas) and mined after another post of the same block took it, it writes fresh slots (22,100
 * each, ~140k more than the ~60k estimate). Seen with several posts per block (interval mining,
 * concurrent posts). A limit costs nothing unused: only the gas used is paid.
 */
export const POST_GAS_HEADROOM = 200_000n;

/** Where a transaction is: estimated and handed to the wallet to sign and send, then sent. */
export type TransactionProgress = { step: "sending" } | { step: "sent"; transactionHash: Hash };

export type MarketWrite = {
  /** Says what failed, in words: "Posting the job". */
  action: string;
  functionName: string;
  args: readonly unknown[];
  /** Gas added to 130 % of the estimate (GAS_HEADROOM, or POST_GAS_HEADROOM for a post). */
  gasHeadroom?: bigint;
  onProgress?: (p: TransactionProgress) => void;
  signal?: AbortSignal;
};

/**
 * Sends one JobMarket transaction and waits for it to be mined. Reverts come back as
 * ContractRevertedError naming the custom error (viem decodes it from the gas estimate),
 * so the user learns the rule that refused it before paying for a failed transaction.
 */
export async function writeMarket(chain: MarketChain, w: MarketWrite): Promise<{ hash: Hash; receipt: TransactionReceipt }> {
  const signer = signerOf(chain, w.action);
  w.signal?.throwIfAborted();
  let hash: Hash;
  try {
    const request = {
      address: chain.market,
      abi: jobMarketAbi,
      functionName: w.functionName as never,
      args: w.args as never,
      account: signer.account,
      chain: signer.walletClient.chain,
    };
    // The estimate is for the state it ran on. A post estimated while a finished job's record was
    // free to reuse, and mined after someone else took it, writes fresh slots (22,100 gas each,
    // not 5,000) and ran out of gas in a burst of posts; so leave headroom as the provider does.
    // On the last block: a "pending" estimate (the default) on a chain mining by interval made
    // the node build a block from its whole mempool for every estimate.
    const gas = await chain.publicClient.estimateContractGas({ ...request, blockTag: "latest" });
    const headroom = w.gasHeadroom ?? (w.functionName.startsWith("postJob") ? POST_GAS_HEADROOM : GAS_HEADROOM);
    w.onProgress?.({ step: "sending" });
    hash = await sendInTurn(chain, signer, (nonce) => signer.walletClient.writeContract({ ...request, gas: (gas * 13n) / 10n + headroom, nonce }));
  } catch (err) {
    throw explainChainError(w.action, err);
  }
  w.onProgress?.({ step: "sent", transactionHash: hash });
  return { hash, receipt: await waitMined(chain, w.action, hash, w.signal) };
}

/** Times a send is retried after the node refused its nonce (taken by a transaction sent meanwhile). */
const NONCE_RETRIES = 4;
const accountQueues = new Map<string, Promise<unknown>>();

/**
 * Signs and broadcasts one transaction of the signer's account at a time in this process (any
 * client of the same chain and account), each with the chain's pending nonce read after the
 * previous one was broadcast: viem reads the pending count per call, so two sends at once took
 * the same nonce and the node refused one ("nonce too low", "replacement transaction
 * underpriced", Hardhat's "Missing or invalid parameters"). Another process sending with the same
 * key can still take a nonce between the read and the broadcast: the node then refuses ours
 * before anything is paid, and it is signed again with a fresh nonce (idempotent: nothing of
 * the refused one was sent). A wallet that manages nonces itself (json-rpc account) gets none.
 * Only the broadcast holds the queue, not the wait for the block.
 */
export async function sendInTurn(chain: MarketChain, signer: Signer, send: (nonce: number | undefined) => Promise<Hash>): Promise<Hash> {
  const { account } = signer;
  const key = `${signer.chainId}:${account.address}`.toLowerCase();
  const run = (accountQueues.get(key) ?? Promise.resolve()).then(async () => {
    for (let attempt = 0; ; attempt++) {
      const nonce = account.type === "local" ? await chain.publicClient.getTransactionCount({ address: account.address, blockTag: "pending" }) : undefined;
      try {
        return await send(nonce);
      } catch (err) {
        if (nonce === undefined || attempt >= NONCE_RETRIES || !isNonceRefusal(err)) throw err;
      }
    }
  });
  const done = run.catch(() => {});
  accountQueues.set(key, done);
  try {
    return await run;
  } finally {
    if (accountQueues.get(key) === done) accountQueues.delete(key);
  }
}

/** The node refused a transaction for its nonce (used, or held by another pending transaction). */
export function isNonceRefusal(err: unknown): boolean {
  const text = `${(err as Error)?.message ?? err} ${(err as { details?: string })?.details ?? ""}`;
  return /nonce too low|nonce has already been used|replacement transaction underpriced|already known|known transaction|nonce.*(already|expected)|Missing or invalid parameters/i.test(text);
}

export async function waitMined(chain: MarketChain, action: string, hash: Hash, signal?: AbortSignal): Promise<TransactionReceipt> {
  let receipt: TransactionReceipt;
  try {
    receipt = await abortable(
      chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: chain.pollingIntervalMs, timeout: RECEIPT_TIMEOUT_MS }),
      signal,
    );
  } catch (err) {
    if (signal?.aborted) throw err;
    throw explainChainError(`${action} (waiting for ${hash})`, err);
  }
  if (receipt.status !== "success") throw new TransactionRevertedError(action, hash);
  return receipt;
}

/** viem's waits take no signal: race them against it so Ctrl-C is honoured at once. */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

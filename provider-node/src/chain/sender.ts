import { setTimeout as sleep } from "node:timers/promises";
import {
  encodeFunctionData,
  keccak256,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type PrivateKeyAccount,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { explainChainError, ContractRevertedError } from "@accord/client/chain";
import { BaseError } from "../errors.ts";
import { isTransientRpcError } from "./rpc.ts";
import { ChainTimeCalls } from "./chain-time.ts";

const FEE_CACHE_MS = 2_000;
/** A transaction without a receipt this long is checked for a nonce taken by another one. */
const NONCE_CHECK_MS = 2_000;
/**
 * Once the node's watcher tells the sender of new blocks (observeBlock), a receipt is asked for
 * again at each new block, or after this long if none is told (a watcher behind an RPC outage).
 */
const RECEIPT_BLOCK_WAIT_MS = 3_000;

export type TxSenderOptions = {
  client: PublicClient;
  account: PrivateKeyAccount;
  chainId: number;
  receiptTimeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Told about every RPC failure the sender rides out (it never gives up on a signed transaction). */
  onRetry?: (what: string, err: unknown, retryInMs: number) => void;
  signal?: AbortSignal;
};

export type SendParameters<abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable" | "payable">> = {
  address: Address;
  abi: abi;
  functionName: fn;
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", fn>;
  /** What the transaction does, for logs and errors ("commit to job 5"). */
  label: string;
  /**
   * Gas added to the limit beyond the estimate's headroom, for work the call may do only because of
   * what lands before it in the same block (see gas.ts: the settling reveal, the awarding bid).
   * Unused gas is not paid for.
   */
  extraGas?: bigint;
  /**
   * The chain time (unix seconds) the call needs: estimated as of it, not as of the last block's
   * timestamp, when the call may act only after a deadline the next block will have passed (see
   * chain-time.ts).
   */
  at?: number;
  signal?: AbortSignal;
};

/**
 * Why a mined transaction (or one call of a batch) reverted, as well as it can be told after the
 * fact: "OutOfGas" when it used its whole limit, else the contract's custom error met by the same
 * call replayed on the state of the block it was mined in ("AlreadyRevealed", "WrongJobState", ...;
 * "Reverted" when the bytes name no error of the market), or "unknown" when the replay passes or
 * the chain does not answer.
 */
export type RevertReason = { reason: string; args?: readonly unknown[] };

/** A transaction was mined but reverted (the chain moved between the estimate and the block). */
export class TransactionRevertedError extends BaseError {
  override name = "TransactionRevertedError";
  readonly hash: Hex;
  readonly label: string;
  /** The decoded reason (see RevertReason). */
  readonly reason: string;
  readonly gasUsed?: bigint;
  readonly gasLimit?: bigint;
  constructor(label: string, hash: Hex, why: RevertReason & { gasUsed?: bigint; gasLimit?: bigint } = { reason: "unknown" }) {
    super(`The transaction to ${label} was mined but reverted (${hash}): ${why.reason}${why.gasLimit !== undefined ? ` (gas used ${why.gasUsed} of ${why.gasLimit})` : ""}.`, {
      fix:
        why.reason === "OutOfGas"
          ? "Its gas limit was too small for what the block made it do; the node re-reads the job and sends it again."
          : "The job moved on between the check and the block; the node re-reads its state and tries the next step.",
    });
    this.hash = hash;
    this.label = label;
    this.reason = why.reason;
    this.gasUsed = why.gasUsed;
    this.gasLimit = why.gasLimit;
  }
}

/**
 * The contract's answer to `data` from `from` replayed on the state after `blockNumber` (see
 * RevertReason). Never throws: a reason is for the log, and a missing one must not stop the step.
 */
export async function replayRevert(client: PublicClient, from: Address, to: Address, data: Hex, blockNumber: bigint): Promise<RevertReason> {
  try {
    await client.call({ account: from, to, data, blockNumber });
    return { reason: "unknown" };
  } catch (err) {
    // explainChainError decodes the market's custom errors from the revert bytes of a raw call.
    const explained = explainChainError("replay", err);
    return explained instanceof ContractRevertedError ? { reason: explained.errorName, args: explained.args } : { reason: "unknown" };
  }
}

/** A signed transaction can never be mined: its nonce was used by another one. */
export class TransactionDroppedError extends BaseError {
  override name = "TransactionDroppedError";
  readonly hash: Hex;
  constructor(label: string, hash: Hex, nonce: number) {
    super(`The transaction to ${label} (${hash}) was dropped: nonce ${nonce} was used by another transaction.`, {
      fix: "Another process may be sending with the same key; run one provider per key. The node signs the step again with a fresh nonce.",
    });
    this.hash = hash;
  }
}

/**
 * Sends every transaction of one account through one queue, so nonces never collide however
 * many jobs want to commit or reveal at once. Each transaction is signed once; through an RPC
 * outage the same signed bytes are re-broadcast (idempotent: same hash) until the node has
 * them, so a dropped connection can neither lose a commit nor send it twice.
 */
export class TxSender {
  readonly address: Address;
  private readonly o: TxSenderOptions;
  private tail: Promise<unknown> = Promise.resolve();
  private nonce: number | undefined;
  private feeCache: { fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }; atMs: number } | undefined;
  /** Transactions sent, for metrics. */
  sent = 0;
  /** The highest block observeBlock was told of; 0 while nobody tells it (then receipts are polled on a timer). */
  private head = 0n;
  private readonly blockWaiters = new Set<() => void>();
  /** Estimates as of a chain time; shared with the batcher's simulations, which learn the same RPC's answer. */
  readonly timed: ChainTimeCalls;

  constructor(options: TxSenderOptions) {
    this.o = options;
    this.address = options.account.address;
    this.timed = new ChainTimeCalls(options.client);
  }

  /**
   * Estimates (a revert here throws ContractRevertedError at once, nothing is sent), signs,
   * broadcasts and waits for the receipt.
   */
  async send<const abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable" | "payable">>(p: SendParameters<abi, fn>): Promise<TransactionReceipt> {
    const data = encodeFunctionData({ abi: p.abi, functionName: p.functionName, args: p.args } as never);
    const signal = anySignal(p.signal, this.o.signal);
    const { hash, raw, nonce, gasLimit } = await this.enqueue(() => this.signAndBroadcast(p.address, data, p.label, p.extraGas ?? 0n, p.at, signal));
    const receipt = await this.waitForReceipt(hash, raw, nonce, p.label, signal);
    if (receipt.status !== "success") {
      // All of its limit used is out of gas (an EVM revert returns what is left); anything else is the contract's refusal.
      const why = receipt.gasUsed >= gasLimit ? { reason: "OutOfGas" } : await replayRevert(this.o.client, this.address, p.address, data, receipt.blockNumber);
      throw new TransactionRevertedError(p.label, hash, { ...why, gasUsed: receipt.gasUsed, gasLimit });
    }
    return receipt;
  }

  /**
   * A new block was seen (the market watcher tells each one). A receipt can only appear with a
   * block: polled every rpcRetryMinMs, a transaction on a chain with 2 s blocks was asked for
   * ~5 times before its block came, the most frequent RPC request of a busy daemon after the watcher's.
   */
  observeBlock(number: bigint): void {
    if (number <= this.head) return;
    this.head = number;
    for (const wake of this.blockWaiters) wake();
    this.blockWaiters.clear();
  }

  /** Until the next block observeBlock is told of, or `ms`, or the signal's abort. */
  private nextBlock(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.blockWaiters.delete(done);
        signal?.removeEventListener("abort", aborted);
        resolve();
      };
      const aborted = () => {
        done();
        reject(signal!.reason);
      };
      const timer = setTimeout(done, ms);
      this.blockWaiters.add(done);
      signal?.addEventListener("abort", aborted, { once: true });
    });
  }

  /** Resolves once every transaction handed to `send` so far was signed and broadcast (or failed to be). */
  async idle(): Promise<void> {
    await this.tail;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  private async signAndBroadcast(to: Address, data: Hex, label: string, extraGas: bigint, at: number | undefined, signal: AbortSignal | undefined): Promise<{ hash: Hex; raw: Hex; nonce: number; gasLimit: bigint }> {
    const { client, account } = this.o;
    const [gas, fees, nonce] = await this.retrying(`prepare ${label}`, signal, async () => {
      let gas: bigint;
      try {
        // On the last block (as of `at`), as the batch simulation is: on interval mining a "pending"
        // estimate made the node build a block from its whole mempool for every transaction.
        gas = await this.timed.estimateGas({ from: account.address, to, data }, at);
      } catch (err) {
        const explained = explainChainError(`Sending ${label}`, err);
        // A revert is the contract's answer, not an outage: report it, do not retry.
        if (explained instanceof ContractRevertedError) throw new NoRetry(explained);
        throw err;
      }
      const fees = await this.fees();
      this.nonce ??= await client.getTransactionCount({ address: account.address, blockTag: "pending" });
      return [gas, fees, this.nonce] as const;
    });
    // Headroom, since the state (and the gas) may change before the block, plus the worst the
    // block's earlier transactions can add to this call's work (extraGas, see gas.ts).
    const gasLimit = (gas * 13n) / 10n + 10_000n + extraGas;
    const raw = await account.signTransaction({
      type: "eip1559",
      chainId: this.o.chainId,
      to,
      data,
      nonce,
      gas: gasLimit,
      maxFeePerGas: fees.maxFeePerGas * 2n,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    const hash = keccak256(raw);
    await this.retrying(`broadcast ${label}`, signal, async () => {
      try {
        await client.sendRawTransaction({ serializedTransaction: raw });
      } catch (err) {
        if (isTransientRpcError(err)) throw err;
        const message = String((err as Error).message);
        // A re-broadcast of bytes the node already holds, or has already mined, is success.
        if (/already known|known transaction|already imported/i.test(message)) return;
        if (/nonce too low/i.test(message) && (await this.mined(hash))) return;
        // Anything else means this nonce (or fee) is not ours to use as planned: ask the chain again next time.
        this.nonce = undefined;
        this.feeCache = undefined;
        throw new NoRetry(explainChainError(`Sending ${label}`, err));
      }
    });
    this.nonce = nonce + 1;
    this.sent += 1;
    return { hash, raw, nonce, gasLimit };
  }

  /**
   * Fee caps, re-read at most every FEE_CACHE_MS: two RPC requests per transaction otherwise.
   * The cap is twice the estimate (base fee rises at most 12.5 % a block), and a broadcast the
   * node refuses drops the cache, so a stale value costs at most one retry.
   */
  private async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    if (this.feeCache && Date.now() - this.feeCache.atMs < FEE_CACHE_MS) return this.feeCache.fees;
    const fees = await this.o.client.estimateFeesPerGas();
    this.feeCache = { fees, atMs: Date.now() };
    return fees;
  }

  private async mined(hash: Hex): Promise<boolean> {
    try {
      return (await this.o.client.getTransactionReceipt({ hash })) !== null;
    } catch {
      return false;
    }
  }

  private async waitForReceipt(hash: Hex, raw: Hex, nonce: number, label: string, signal: AbortSignal | undefined): Promise<TransactionReceipt> {
    let backoff = this.o.retryMinMs;
    let rebroadcastAt = Date.now() + this.o.receiptTimeoutMs;
    let nonceCheckAt = Date.now() + NONCE_CHECK_MS;
    for (;;) {
      signal?.throwIfAborted();
      let failed = false;
      try {
        const receipt = await this.o.client.getTransactionReceipt({ hash });
        if (receipt) return receipt;
      } catch (err) {
        if (!isTransientRpcError(err) && !/not found|could not be found/i.test(String((err as Error).message))) throw explainChainError(`Waiting for ${label}`, err);
        if (isTransientRpcError(err)) {
          failed = true;
          this.o.onRetry?.(`receipt of ${label}`, err, backoff);
        }
      }
      // Mined is "has a receipt"; a nonce used without our receipt means ours can never be mined.
      // Asked only once the receipt is late: on every poll it doubled the RPC requests of a wait.
      if (Date.now() >= nonceCheckAt) {
        nonceCheckAt = Date.now() + NONCE_CHECK_MS;
        const used = await this.o.client.getTransactionCount({ address: this.address, blockTag: "latest" }).catch(() => undefined);
        if (used !== undefined && used > nonce && !(await this.mined(hash))) {
          if (this.nonce !== undefined && this.nonce <= used) this.nonce = undefined;
          throw new TransactionDroppedError(label, hash, nonce);
        }
      }
      if (Date.now() > rebroadcastAt) {
        // A node that restarted or evicted it has forgotten the transaction: same bytes again.
        await this.o.client.sendRawTransaction({ serializedTransaction: raw }).catch(() => {});
        rebroadcastAt = Date.now() + this.o.receiptTimeoutMs;
      }
      // A healthy RPC that has no receipt yet is asked again at the next block, or at the short
      // interval when no watcher tells of blocks: backing off to 10 s there made every transaction
      // on a chain with 1 s blocks take 2-8 s to be seen.
      if (!failed && this.head > 0n) await this.nextBlock(RECEIPT_BLOCK_WAIT_MS, signal);
      else await sleep(failed ? backoff : this.o.retryMinMs, undefined, { signal });
      backoff = failed ? Math.min(backoff * 2, this.o.retryMaxMs) : this.o.retryMinMs;
    }
  }

  /** Runs `fn` until it succeeds, waiting out transient RPC failures; anything else is thrown. */
  private async retrying<T>(what: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    let backoff = this.o.retryMinMs;
    for (;;) {
      signal?.throwIfAborted();
      try {
        return await fn();
      } catch (err) {
        if (err instanceof NoRetry) throw err.error;
        if (!isTransientRpcError(err)) throw explainChainError(what, err);
        this.o.onRetry?.(what, err, backoff);
        await sleep(backoff, undefined, { signal });
        backoff = Math.min(backoff * 2, this.o.retryMaxMs);
      }
    }
  }
}

class NoRetry {
  readonly error: Error;
  constructor(error: Error) {
    this.error = error;
  }
}

function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length === 0 ? undefined : present.length === 1 ? present[0] : AbortSignal.any(present);
}

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

const FEE_CACHE_MS = 2_000;
/** A transaction without a receipt this long is checked for a nonce taken by another one. */
const NONCE_CHECK_MS = 2_000;

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
  signal?: AbortSignal;
};

/** A transaction was mined but reverted (the chain moved between the estimate and the block). */
export class TransactionRevertedError extends BaseError {
  override name = "TransactionRevertedError";
  readonly hash: Hex;
  constructor(label: string, hash: Hex) {
    super(`The transaction to ${label} was mined but reverted (${hash}).`, {
      fix: "The job moved on between the check and the block; the node re-reads its state and tries the next step.",
    });
    this.hash = hash;
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

  constructor(options: TxSenderOptions) {
    this.o = options;
    this.address = options.account.address;
  }

  /**
   * Estimates (a revert here throws ContractRevertedError at once, nothing is sent), signs,
   * broadcasts and waits for the receipt.
   */
  async send<const abi extends Abi, fn extends ContractFunctionName<abi, "nonpayable" | "payable">>(p: SendParameters<abi, fn>): Promise<TransactionReceipt> {
    const data = encodeFunctionData({ abi: p.abi, functionName: p.functionName, args: p.args } as never);
    const signal = anySignal(p.signal, this.o.signal);
    const { hash, raw, nonce } = await this.enqueue(() => this.signAndBroadcast(p.address, data, p.label, signal));
    const receipt = await this.waitForReceipt(hash, raw, nonce, p.label, signal);
    if (receipt.status !== "success") throw new TransactionRevertedError(p.label, hash);
    return receipt;
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

  private async signAndBroadcast(to: Address, data: Hex, label: string, signal: AbortSignal | undefined): Promise<{ hash: Hex; raw: Hex; nonce: number }> {
    const { client, account } = this.o;
    const [gas, fees, nonce] = await this.retrying(`prepare ${label}`, signal, async () => {
      let gas: bigint;
      try {
        // On the last block, as the batch simulation is: on interval mining a "pending" estimate made
        // the node build a block from its whole mempool for every transaction.
        gas = await client.estimateGas({ account: account.address, to, data, blockTag: "latest" });
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
    const raw = await account.signTransaction({
      type: "eip1559",
      chainId: this.o.chainId,
      to,
      data,
      nonce,
      // Headroom, since the state (and the gas) may change before the block.
      gas: (gas * 13n) / 10n + 10_000n,
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
    return { hash, raw, nonce };
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
      // A healthy RPC that has no receipt yet is asked again at the short interval: backing off to
      // 10 s there made every transaction on a chain with 1 s blocks take 2-8 s to be seen.
      await sleep(failed ? backoff : this.o.retryMinMs, undefined, { signal });
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

import { decodeFunctionResult, encodeFunctionData, type Address, type Hex, type PublicClient, type TransactionReceipt } from "viem";
import { jobMarketAbi } from "@accord/client/abi";
import { ContractRevertedError, explainChainError, revertedWith } from "@accord/client/chain";
import { drawingRevealExtraGas, type MarketFunction, worstCaseExtraGas } from "./gas.ts";
import { replayRevert, TransactionRevertedError, type TxSender } from "./sender.ts";

/** The market calls a daemon makes for its jobs; each names the job as its first argument. */

export type MarketCall = {
  functionName: MarketFunction;
  args: readonly unknown[];
  label: string;
  /** The job's replicas (its winners once awarded), to size the call's worst case (gas.ts); unknown: the contract's maximum. */
  replicas?: number;
  /**
   * The chain time (unix seconds) the call needs, past a deadline the last block has not reached:
   * simulated and estimated as of it (chain-time.ts), so it goes out for the next block.
   */
  at?: number;
  /**
   * A reveal sent to a job still Open, which draws the pool first (the award riding in the reveal,
   * PROTOCOL.md "Selection"). It races the other pool entries' reveals like an award, and may do the
   * award's and the draw's work as well as the settlement's.
   */
  draws?: boolean;
};

/** The contract's answer to one call: done, or refused with the custom error's name ("Reverted" when unknown). */
export type CallOutcome = { ok: true } | { ok: false; error: string; err: Error };

export type TxBatcherOptions = {
  client: PublicClient;
  sender: TxSender;
  market: Address;
  me: Address;
  /** Calls arriving within this long of the last transaction wait and go out together. */
  intervalMs: number;
  /** Most calls in one transaction. */
  maxCalls: number;
  /**
   * Called before each batch is simulated and sent (the journal's flush, so every salt whose
   * commitment a call carries is on the disk first); a throw fails the batch's calls.
   */
  beforeSend?: () => void;
  signal?: AbortSignal;
};

type Entry = { call: MarketCall; data: Hex; resolve: (o: CallOutcome) => void; reject: (err: unknown) => void };

/** Calls whose success shows as an event naming the job and this provider (the rest: the job alone). */
const PER_PROVIDER: ReadonlySet<MarketFunction> = new Set(["bid", "bidAndCommit", "commit", "reveal"]);

/**
 * Calls that race other parties' transactions in the same block: a bid after the job filled, an
 * award or claim after someone else's. Sent alone they revert when they lose (on a chain with
 * several transactions a block, a few a run), paying for a failed transaction; inside
 * tryMulticall the losing call fails alone and the transaction succeeds.
 */
const RACES_OTHERS: ReadonlySet<MarketFunction> = new Set(["bid", "bidAndCommit", "award", "claim", "finalize"]);

/**
 * Sends the daemon's market calls for all its jobs in one transaction per tick, through the
 * market's `tryMulticall` (each call delegatecalled with msg.sender kept; one refusal does not
 * sink the rest). A transaction costs a signature, an estimate, a broadcast, receipt polls and
 * ~21,000 gas of its own, and on a chain mining a block per transaction a block: a busy daemon
 * sent one per bid, commit and reveal.
 *
 * The batch is simulated once (eth_call of tryMulticall, which says per call whether it
 * passes): calls that would fail are answered with the contract's refusal and left out, so
 * nothing known to fail is sent. After the block, a call counts as done only if the receipt
 * holds its event (the chain may have moved between the simulation and the block); otherwise it
 * is answered "Reverted" and the job's step reads the chain and decides again. A lone call is
 * sent as itself, exactly as before batching, unless it races other parties (RACES_OTHERS).
 */
export class TxBatcher {
  private readonly o: TxBatcherOptions;
  private queue: Entry[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private preparing = false;
  private lastFlushMs = 0;

  constructor(options: TxBatcherOptions) {
    this.o = options;
  }

  call(call: MarketCall): Promise<CallOutcome> {
    const data = encodeFunctionData({ abi: jobMarketAbi, functionName: call.functionName, args: call.args } as never);
    return new Promise((resolve, reject) => {
      this.queue.push({ call, data, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer || this.preparing || this.queue.length === 0) return;
    const wait = Math.max(0, this.lastFlushMs + this.o.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    if (this.o.signal?.aborted) {
      for (const e of this.queue.splice(0)) e.reject(this.o.signal.reason);
      return;
    }
    this.preparing = true;
    this.lastFlushMs = Date.now();
    const batch = this.queue.splice(0, this.o.maxCalls);
    try {
      this.o.beforeSend?.();
    } catch (err) {
      for (const e of batch) e.reject(err);
      this.preparing = false;
      this.schedule();
      return;
    }
    try {
      // Only the preparation holds the next batch back; receipts are awaited alongside.
      await this.send(batch);
    } finally {
      this.preparing = false;
      this.schedule();
    }
  }

  /** Simulates and broadcasts; returns once the transaction is in the sender's queue. */
  private async send(batch: Entry[]): Promise<void> {
    if (batch.length === 1 && !races(batch[0]!.call)) {
      void this.single(batch[0]!);
      await this.o.sender.idle();
      return;
    }
    let flags: readonly boolean[];
    let results: readonly Hex[];
    // As of the latest chain time any call of the batch needs (the others only gain by a later clock).
    const at = latest(batch.map((e) => e.call.at));
    try {
      const data = await this.o.sender.timed.call({ from: this.o.me, to: this.o.market, data: encodeFunctionData({ abi: jobMarketAbi, functionName: "tryMulticall", args: [batch.map((e) => e.data)] }) }, at);
      [flags, results] = decodeFunctionResult({ abi: jobMarketAbi, functionName: "tryMulticall", data }) as [readonly boolean[], readonly Hex[]];
    } catch (err) {
      // The chain did not answer (or not sensibly): each step retries on its own schedule.
      const explained = explainChainError("Simulating a batch of market calls", err);
      for (const e of batch) e.reject(explained);
      return;
    }
    const passing: Entry[] = [];
    batch.forEach((e, i) => {
      if (flags[i]) passing.push(e);
      else e.resolve(refusal(e.call, results[i]!));
    });
    if (passing.length === 0) return;
    if (passing.length === 1 && !races(passing[0]!.call)) {
      void this.single(passing[0]!);
      await this.o.sender.idle();
      return;
    }
    const label = `${passing.length} market calls (${passing.map((e) => `${e.call.functionName} ${e.call.args[0]}`).join(", ")})`;
    // Each call may meet its worst case in the block (the batch's estimate saw none of them), and
    // several calls of the batch can: their extras add up.
    let extraGas = passing.reduce((sum, e) => sum + extraGasOf(e.call), 0n);
    // A call tryMulticall carries alone: the node's estimate of the wrapper may settle on a limit
    // at which the call inside runs out of gas while the wrapper, which swallows that, succeeds;
    // the call's own estimate on top keeps it whole (only gas used is paid).
    if (passing.length === 1) extraGas += await this.o.sender.timed.estimateGas({ from: this.o.me, to: this.o.market, data: passing[0]!.data }, at).catch(() => 0n);
    // The sender estimates, signs with the local nonce and broadcasts in its queue; awaiting the
    // receipt here would hold every later call back a block.
    void this.o.sender.send({ address: this.o.market, abi: jobMarketAbi, functionName: "tryMulticall", args: [passing.map((e) => e.data)], label, extraGas, at, signal: this.o.signal }).then(
      async (receipt) => {
        for (const e of passing) {
          if (inReceipt(receipt, this.o.market, this.o.me, e.call)) e.resolve({ ok: true });
          else {
            // The call failed inside the batch: its reason, replayed on the block's state, goes to the step's warning.
            const why = await replayRevert(this.o.client, this.o.me, this.o.market, e.data, receipt.blockNumber);
            e.resolve({ ok: false, error: "Reverted", err: new TransactionRevertedError(`${e.call.label} (in a batch)`, receipt.transactionHash, why) });
          }
        }
      },
      (err) => {
        for (const e of passing) {
          if (err instanceof TransactionRevertedError) e.resolve({ ok: false, error: "Reverted", err });
          else e.reject(err);
        }
      },
    );
    // Wait for the broadcast only (the sender's queue settles in order), so the next batch is simulated after it.
    await this.o.sender.idle();
  }

  private async single(e: Entry): Promise<void> {
    try {
      await this.o.sender.send({ address: this.o.market, abi: jobMarketAbi, functionName: e.call.functionName, args: e.call.args as never, label: e.call.label, extraGas: extraGasOf(e.call), at: e.call.at, signal: this.o.signal });
      e.resolve({ ok: true });
    } catch (err) {
      if (err instanceof ContractRevertedError) e.resolve({ ok: false, error: err.errorName, err });
      else if (err instanceof TransactionRevertedError) e.resolve({ ok: false, error: "Reverted", err });
      else e.reject(err);
    }
  }
}

/** A call that can lose to another party's in the same block: sent inside tryMulticall, where losing fails it alone. */
function races(call: MarketCall): boolean {
  return RACES_OTHERS.has(call.functionName) || call.draws === true;
}

function extraGasOf(call: MarketCall): bigint {
  return call.draws ? drawingRevealExtraGas(call.replicas) : worstCaseExtraGas(call.functionName, call.replicas);
}

function latest(times: ReadonlyArray<number | undefined>): number | undefined {
  const known = times.filter((t): t is number => t !== undefined);
  return known.length === 0 ? undefined : Math.max(...known);
}

function refusal(call: MarketCall, data: Hex): CallOutcome {
  const err = revertedWith(`Sending ${call.label}`, data);
  return { ok: false, error: err.errorName, err };
}

/** Whether the receipt holds the call's event: indexed job id first, then (for a provider's own calls) its address. */
function inReceipt(receipt: TransactionReceipt, market: Address, me: Address, call: MarketCall): boolean {
  const jobTopic = `0x${(call.args[0] as bigint).toString(16).padStart(64, "0")}`;
  const meTopic = `0x${me.slice(2).toLowerCase().padStart(64, "0")}`;
  return receipt.logs.some(
    (l) => l.address.toLowerCase() === market.toLowerCase() && l.topics[1]?.toLowerCase() === jobTopic && (!PER_PROVIDER.has(call.functionName) || l.topics[2]?.toLowerCase() === meTopic),
  );
}

import { describe, expect, it } from "vitest";
import { encodeErrorResult, encodeFunctionResult, type Hex, type PublicClient } from "viem";
import { jobMarketAbi } from "@accord/client/abi";
import { ContractRevertedError } from "@accord/client/chain";
import { TxBatcher } from "./batcher.ts";
import { drawingRevealExtraGas, settleExtraGas, worstCaseExtraGas, MAX_REPLICAS } from "./gas.ts";
import type { TxSender } from "./sender.ts";

const market = "0x0000000000000000000000000000000000000001" as const;
const me = "0x00000000000000000000000000000000000000aa" as const;

describe("TxBatcher", () => {
  it("runs beforeSend (the journal's flush) before a batch is sent, and fails the batch's calls when it throws", async () => {
    const order: string[] = [];
    const sender = {
      send: async (p: { functionName: string }) => {
        order.push(`send ${p.functionName}`);
        return { status: "success", logs: [] };
      },
      idle: async () => {},
    } as unknown as TxSender;
    let failFlush = false;
    const batcher = new TxBatcher({
      client: {} as PublicClient,
      sender,
      market,
      me,
      intervalMs: 0,
      maxCalls: 32,
      beforeSend: () => {
        order.push("flush");
        if (failFlush) throw new Error("disk full");
      },
    });
    const commitment = `0x${"11".repeat(32)}` as const;
    // A lone commit races nobody: it goes out as itself.
    expect(await batcher.call({ functionName: "commit", args: [1n, commitment], label: "commit job 1" })).toEqual({ ok: true });
    expect(order).toEqual(["flush", "send commit"]);

    failFlush = true;
    await expect(batcher.call({ functionName: "commit", args: [2n, commitment], label: "commit job 2" })).rejects.toThrow("disk full");
    expect(order).toEqual(["flush", "send commit", "flush"]);
  });

  it("answers a call the batch simulation refuses with the market's custom error and its arguments, and sends the rest", async () => {
    const sent: string[] = [];
    const extras: bigint[] = [];
    const topic = (x: bigint | string) => `0x${(typeof x === "bigint" ? x.toString(16) : x.slice(2)).padStart(64, "0")}`;
    // The mined batch holds job 8's bid event, naming this provider.
    const closed = encodeErrorResult({ abi: jobMarketAbi, errorName: "BiddingClosed", args: [7n, 100n, 101n] });
    const unknown = "0xdeadbeef00" as Hex;
    const sender = {
      send: async (p: { functionName: string; extraGas?: bigint }) => {
        sent.push(p.functionName);
        extras.push(p.extraGas ?? 0n);
        return { status: "success", blockNumber: 1n, transactionHash: "0x01", logs: [{ address: market, topics: ["0x00", topic(8n), topic(me)] }] };
      },
      idle: async () => {},
      timed: {
        call: async () => encodeFunctionResult({ abi: jobMarketAbi, functionName: "tryMulticall", result: [[false, true, false], [closed, "0x", unknown]] }),
        estimateGas: async () => 77_000n, // the lone bid's own need
      },
    } as unknown as TxSender;
    const client = {} as PublicClient;
    const batcher = new TxBatcher({ client, sender, market, me, intervalMs: 5, maxCalls: 32 });
    const [refused, passed, odd] = await Promise.all([
      batcher.call({ functionName: "bid", args: [7n, 5n], label: "bid job 7" }),
      batcher.call({ functionName: "bid", args: [8n, 5n], label: "bid job 8" }),
      batcher.call({ functionName: "bid", args: [9n, 5n], label: "bid job 9" }),
    ]);
    expect(refused).toMatchObject({ ok: false, error: "BiddingClosed" });
    const err = (refused as { err: Error }).err as ContractRevertedError;
    expect(err).toBeInstanceOf(ContractRevertedError);
    expect(err.args).toEqual([7n, 100n, 101n]);
    expect(passed).toEqual({ ok: true });
    expect(odd).toMatchObject({ ok: false, error: "Reverted" });
    // The one bid left still goes through tryMulticall: a bid can lose to another provider's in
    // the same block, and then it must fail alone instead of reverting the transaction.
    expect(sent).toEqual(["tryMulticall"]);
    // ...with the bid's own estimate on top of the wrapper's, so it cannot run out inside it.
    expect(extras[0]).toBeGreaterThanOrEqual(77_000n);
  });

  it("sizes each call for its worst case in the block: a reveal for the settlement of its job's replicas, a batch for the sum of its calls", async () => {
    const sent: Array<{ functionName: string; extraGas?: bigint }> = [];
    const sender = {
      send: async (p: { functionName: string; extraGas?: bigint }) => {
        sent.push(p);
        return { status: "success", logs: [] };
      },
      idle: async () => {},
      timed: { call: async () => encodeFunctionResult({ abi: jobMarketAbi, functionName: "tryMulticall", result: [[true, true], ["0x", "0x"]] }) },
    } as unknown as TxSender;
    const client = {} as PublicClient;
    const batcher = new TxBatcher({ client, sender, market, me, intervalMs: 5, maxCalls: 32 });
    const salt = `0x${"22".repeat(32)}` as const;
    await batcher.call({ functionName: "reveal", args: [1n, "0x", salt, "0x"], label: "reveal job 1", replicas: 3 });
    expect(sent[0]).toMatchObject({ functionName: "reveal", extraGas: settleExtraGas(3) });
    await Promise.all([
      batcher.call({ functionName: "reveal", args: [2n, "0x", salt, "0x"], label: "reveal job 2" }),
      batcher.call({ functionName: "bid", args: [3n, 5n], label: "bid job 3", replicas: 5 }),
    ]);
    // Job 2's k is unknown (say, after a restart): sized for the contract's maximum.
    // The bid is sized for a displacement in a full pool, whatever its k.
    expect(sent[1]).toMatchObject({ functionName: "tryMulticall", extraGas: settleExtraGas(MAX_REPLICAS) + worstCaseExtraGas("bid", 5) });
  });

  it("sends a reveal that draws the pool inside tryMulticall, simulated and sized as of the chain time it needs, with the award's and the draw's bounds", async () => {
    const sent: Array<{ functionName: string; extraGas?: bigint; at?: number }> = [];
    const simulatedAt: Array<number | undefined> = [];
    const estimatedAt: Array<number | undefined> = [];
    const sender = {
      send: async (p: { functionName: string; extraGas?: bigint; at?: number }) => {
        sent.push(p);
        return { status: "success", logs: [] };
      },
      idle: async () => {},
      timed: {
        call: async (_tx: unknown, at?: number) => {
          simulatedAt.push(at);
          return encodeFunctionResult({ abi: jobMarketAbi, functionName: "tryMulticall", result: [[true], ["0x"]] });
        },
        estimateGas: async (_tx: unknown, at?: number) => {
          estimatedAt.push(at);
          return 150_000n;
        },
      },
    } as unknown as TxSender;
    const batcher = new TxBatcher({ client: {} as PublicClient, sender, market, me, intervalMs: 5, maxCalls: 32 });
    const salt = `0x${"22".repeat(32)}` as const;
    // Alone, a reveal goes out as itself; one that draws can lose to another entry's and goes in the wrapper.
    await batcher.call({ functionName: "reveal", args: [4n, "0x", salt, "0x"], label: "reveal (drawing the pool) job 4", replicas: 3, draws: true, at: 1_900_000_123 });
    expect(simulatedAt).toEqual([1_900_000_123]);
    expect(estimatedAt).toEqual([1_900_000_123]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ functionName: "tryMulticall", at: 1_900_000_123, extraGas: drawingRevealExtraGas(3) + 150_000n });
    expect(drawingRevealExtraGas(3)).toBe(worstCaseExtraGas("reveal", 3) + worstCaseExtraGas("award", 3));
  });
});

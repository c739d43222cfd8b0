import { describe, expect, it } from "vitest";
import type { PublicClient } from "viem";
import { TxBatcher } from "./batcher.ts";
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
    expect(await batcher.call({ functionName: "bidAndCommit", args: [1n, 5n, commitment], label: "bidAndCommit job 1" })).toEqual({ ok: true });
    expect(order).toEqual(["flush", "send bidAndCommit"]);

    failFlush = true;
    await expect(batcher.call({ functionName: "bidAndCommit", args: [2n, 5n, commitment], label: "bidAndCommit job 2" })).rejects.toThrow("disk full");
    expect(order).toEqual(["flush", "send bidAndCommit", "flush"]);
  });
});

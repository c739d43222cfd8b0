// A provider's transaction sender asks for a receipt once per block the market watcher tells it of,
// not on a timer: on a chain with 2 s blocks a timer of rpcRetryMinMs asked ~5 times per
// transaction before its block came. anvil mining a block every second, a real TxSender, and the
// requests it makes counted at the transport.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { custom, http, type Address } from "viem";
import { createPublicClient, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { testTokenAbi } from "../../client/src/generated/abi.ts";
import { TxSender } from "../../provider-node/src/chain/sender.ts";
import { PROVIDER_KEYS, startTestChain, type TestChain } from "./harness.ts";

let t: TestChain;

beforeAll(async () => {
  t = await startTestChain({}, { engine: "anvil", blockTime: 1 });
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

/** A client on the chain's RPC that counts the receipt requests it sends. */
function countingClient(): { client: PublicClient; receipts: () => number } {
  let receipts = 0;
  const rpc = http(t.rpcUrl)({});
  const client = createPublicClient({
    transport: custom({
      async request({ method, params }) {
        if (method === "eth_getTransactionReceipt") receipts++;
        return rpc.request({ method, params } as never);
      },
    }),
  }) as PublicClient;
  return { client, receipts: () => receipts };
}

function sender(client: PublicClient, key: (typeof PROVIDER_KEYS)[number]): TxSender {
  return new TxSender({ client, account: privateKeyToAccount(key.privateKey), chainId: t.publicClient.chain?.id ?? 31337, receiptTimeoutMs: 60_000, retryMinMs: 100, retryMaxMs: 1_000 });
}

const approve = (s: TxSender, spender: Address) =>
  s.send({ address: t.deployment.token, abi: testTokenAbi, functionName: "approve", args: [spender, 1n], label: "approve a spender" });

describe("waiting for a receipt", { timeout: 120_000 }, () => {
  it("asks once per block it is told of, and still finds the receipt", async () => {
    const { client, receipts } = countingClient();
    const s = sender(client, PROVIDER_KEYS[0]!);
    // The market watcher's part: tell the sender of each new block.
    const stop = t.publicClient.watchBlockNumber({ onBlockNumber: (n) => s.observeBlock(n), pollingInterval: 100, emitMissed: true });
    try {
      while ((await t.publicClient.getBlockNumber({ cacheTime: 0 })) === 0n) await new Promise((r) => setTimeout(r, 100));
      s.observeBlock(await t.publicClient.getBlockNumber({ cacheTime: 0 }));
      const before = await t.publicClient.getBlockNumber({ cacheTime: 0 });
      const receipt = await approve(s, t.deployment.jobMarket);
      expect(receipt.status).toBe("success");
      const blocks = Number(receipt.blockNumber - before) + 1;
      // One ask right after the broadcast, then one per block until the one holding it.
      expect(receipts()).toBeLessThanOrEqual(blocks + 1);
    } finally {
      stop();
    }
  });

  it("polls on its timer when nobody tells it of blocks", async () => {
    const { client, receipts } = countingClient();
    const s = sender(client, PROVIDER_KEYS[1]!);
    const receipt = await approve(s, t.deployment.jobMarket);
    expect(receipt.status).toBe("success");
    // A block a second, polled every 100 ms: several asks before the block came.
    expect(receipts()).toBeGreaterThan(2);
  });
});

// Issue #15: posts from one account at once must not collide on the token's permit nonce or the
// account's transaction nonce. Blocks every 500 ms (automine off), so each post is still pending
// while the others sign and send (on automine every post is mined the moment it is sent, and the
// race never shows).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { erc20Abi } from "viem";
import { submitJob, type SubmitJobParameters } from "../../client/src/actions/submitJob.ts";
import type { AccordClient } from "../../client/src/client.ts";
import { startDevnet, type Devnet } from "../devnet.ts";

const N = 8;
let net: Devnet;
let client: AccordClient;

const job = (nonce: string): SubmitJobParameters => ({
  module: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
  nonce,
  replicas: 1,
  maxPrice: 1_000n,
  // A bid window, so no provider is needed: the jobs just stay open.
  bidWindow: 3600,
});

beforeAll(async () => {
  net = await startDevnet();
  client = net.requester();
  await client.getNode();
  await net.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
  await net.publicClient.request({ method: "evm_setIntervalMining" as never, params: [500] as never });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await net?.stop();
});

async function allowance(): Promise<bigint> {
  return net.publicClient.readContract({ address: net.deployment.token, abi: erc20Abi, functionName: "allowance", args: [client.account!.address, net.deployment.jobMarket] });
}

async function revertedFrom(fromBlock: bigint): Promise<number> {
  const head = await net.publicClient.getBlockNumber({ cacheTime: 0 });
  let reverted = 0;
  for (let n = fromBlock; n <= head; n++) {
    const block = await net.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== client.account!.address.toLowerCase()) continue;
      if ((await net.publicClient.getTransactionReceipt({ hash: tx.hash })).status !== "success") reverted += 1;
    }
  }
  return reverted;
}

describe(`${N} posts at once from one account`, { timeout: 60_000 }, () => {
  for (const payment of ["permit", "approve", "auto"] as const) {
    it(`all succeed, none reverted, paying by ${payment}`, async () => {
      const from = await net.publicClient.getBlockNumber({ cacheTime: 0 });
      const results = await Promise.allSettled(Array.from({ length: N }, (_, i) => submitJob(client, { ...job(`${payment}-${i}`), payment })));
      const failed = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason).split("\n")[0]);
      expect(failed).toEqual([]);
      const ids = results.map((r) => (r as PromiseFulfilledResult<{ jobId: bigint }>).value.jobId);
      expect(new Set(ids).size).toBe(N);
      expect(await revertedFrom(from + 1n)).toBe(0);
    });
  }

  it("with an allowance covering all of them, every post uses it and none runs short", async () => {
    const from = await net.publicClient.getBlockNumber({ cacheTime: 0 });
    const hash = await client.walletClient!.writeContract({ address: net.deployment.token, abi: erc20Abi, functionName: "approve", args: [net.deployment.jobMarket, 10n ** 30n], account: client.account!, chain: client.chain });
    await net.publicClient.waitForTransactionReceipt({ hash });
    const results = await Promise.allSettled(Array.from({ length: N }, (_, i) => submitJob(client, job(`allowance-${i}`))));
    expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason).split("\n")[0])).toEqual([]);
    expect(await revertedFrom(from + 1n)).toBe(0);
    expect(await allowance()).toBeGreaterThan(0n);
  });
});

// Issue #15: on a chain with blocks every few seconds the calls of one job land in one block. The
// three bidAndCommit of a 3-of-3 job then share a block (the last one awards, emits three Committed
// and opens the reveal phase), and so do its three reveals (the last one settles the job), each
// estimated on the block before as if it did none of that. Sized by its estimate alone, the last
// reveal ran out of gas (71-77k allowed, ~122k needed) and a third of reveals reverted.
//
// Here the test mines the blocks itself (automine off): a block is mined once the three daemons'
// transactions are all pending, so they share it whatever the machine's speed (else after a few
// seconds, for everything else). Then no transaction of a daemon may have reverted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { decodeFunctionData, type Hex } from "viem";
import { jobMarketAbi } from "../../client/src/generated/abi.ts";
import { getMarketEvents } from "../../client/src/chain/index.ts";
import { PROVIDER_KEYS, Requester, registerProvider, spawnProvider, startTestChain, type ProviderProcess, type TestChain } from "./harness.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

let t: TestChain;
let requester: Requester;
const providers: ProviderProcess[] = [];
let miner: { stop(): Promise<void>; blocksWithThree: number } | undefined;
let firstBlock = 0n;

type PendingBlock = { transactions: Array<{ from: string }> };

/** Mines when `quorum` daemon transactions are pending, when only others are, or after `fallbackMs`. */
function startMiner(daemons: Set<string>, quorum: number, fallbackMs: number) {
  let stopped = false;
  let lastMine = Date.now();
  const state = { blocksWithThree: 0, stop: async () => {} };
  const loop = (async () => {
    while (!stopped) {
      const pending = (await t.publicClient.request({ method: "eth_getBlockByNumber" as never, params: ["pending", true] as never })) as PendingBlock;
      const mine = pending.transactions.filter((tx) => daemons.has(tx.from.toLowerCase())).length;
      const others = pending.transactions.length - mine;
      if (mine >= quorum || (others > 0 && mine === 0) || Date.now() - lastMine > fallbackMs) {
        if (mine >= quorum) state.blocksWithThree += 1;
        await t.publicClient.request({ method: "evm_mine" as never, params: [] as never });
        lastMine = Date.now();
      }
      await sleep(50);
    }
  })();
  state.stop = async () => {
    stopped = true;
    await loop;
  };
  return state;
}

/** The market functions a daemon's transaction calls (tryMulticall's inner calls, or the call itself). */
function marketCalls(input: Hex): string[] {
  const outer = decodeFunctionData({ abi: jobMarketAbi, data: input });
  if (outer.functionName !== "tryMulticall") return [outer.functionName];
  return (outer.args[0] as readonly Hex[]).map((d) => decodeFunctionData({ abi: jobMarketAbi, data: d }).functionName);
}

beforeAll(async () => {
  t = await startTestChain();
  const market = t.deployment.jobMarket;
  await Promise.all(PROVIDER_KEYS.slice(0, 3).map((k) => registerProvider(t.rpcUrl, market, k.privateKey)));
  // Turns to push the award longer than the miner's longest wait, so the first push is mined
  // before the second turn comes whatever the machine's speed.
  const env = { ACCORD_LIMIT_PUSH_TURN_SECONDS: "20" };
  providers.push(...(await Promise.all(PROVIDER_KEYS.slice(0, 3).map((k) => spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: k.privateKey, env })))));
  requester = await Requester.create(t);
  await requester.connect(providers.flatMap((p) => p.info.multiaddrs));
  firstBlock = await t.publicClient.getBlockNumber({ cacheTime: 0 });
  await t.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
  miner = startMiner(new Set(providers.map((p) => p.info.address.toLowerCase())), 3, 8_000);
}, 120_000);

afterAll(async () => {
  await miner?.stop();
  await Promise.all(providers.map((p) => p.kill()));
  await requester?.stop();
  await t?.stop();
});

describe("a 3-of-3 job whose bids and reveals each land in one block", { timeout: 90_000 }, () => {
  it("settles with no reverted provider transaction", async () => {
    const jobId = await requester.postJob({ replicas: 3, quorum: 3, stdin: new TextEncoder().encode("same block") });
    const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed", "Expired"], 75_000);
    expect(info.state).toBe("Succeeded");

    const head = await t.publicClient.getBlockNumber({ cacheTime: 0 });
    const events = await getMarketEvents(t.publicClient, { address: t.deployment.jobMarket, fromBlock: firstBlock, toBlock: head, jobId });
    const blocksOf = (name: string) => new Set(events.filter((e) => e.eventName === name).map((e) => e.blockNumber));
    const daemons = new Set(providers.map((p) => p.info.address.toLowerCase()));
    const reverted: Array<{ hash: Hex; gasUsed: bigint; gas: bigint }> = [];
    let sent = 0;
    let awardCalls = 0;
    for (let n = firstBlock + 1n; n <= head; n++) {
      const block = await t.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) {
        if (!daemons.has(tx.from.toLowerCase())) continue;
        sent += 1;
        awardCalls += marketCalls(tx.input).filter((c) => c === "award").length;
        const receipt = await t.publicClient.getTransactionReceipt({ hash: tx.hash });
        if (receipt.status !== "success") reverted.push({ hash: tx.hash, gasUsed: receipt.gasUsed, gas: tx.gas });
      }
    }
    expect(sent).toBeGreaterThanOrEqual(6);
    expect(reverted).toEqual([]);
    // The bidders take turns to push the award: one sends it, the others see it and send nothing
    // (all three at once sent three, two of which failed in the block). None is sent when the
    // bids land after the pool window, where the last bid awards the job itself.
    expect(awardCalls).toBeLessThanOrEqual(1);
    for (const p of providers) expect(p.logs.filter((l) => l.event === LOG_EVENTS.txReverted)).toEqual([]);
    // The case under test really happened: the three bids in one block, the three reveals in one block.
    expect(events.filter((e) => e.eventName === "Revealed")).toHaveLength(3);
    expect(blocksOf("BidPlaced").size).toBe(1);
    expect(blocksOf("Revealed").size).toBe(1);
  });
});

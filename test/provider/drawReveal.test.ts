// Issue #13 and #15: the award rides in a reveal. Once a pool whose every entry committed with its
// bid can be drawn, the provider daemons send their reveals instead of `award` (bid.ts,
// drawByReveal), simulated and sized as of the chain time the next block will have (chain-time.ts):
// the first reveal mined draws, and the job needs no award transaction. On anvil with blocks every
// second, a 3-of-3 job (every entry drawn: all reveal at once) and a 2-of-3 pool (a larger pool:
// the entries take turns, and the first may draw itself out) each settle with no award sent and no
// daemon transaction reverted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeFunctionData, type Hex } from "viem";
import { jobMarketAbi } from "../../client/src/generated/abi.ts";
import { getMarketEvents } from "../../client/src/chain/index.ts";
import { PROVIDER_KEYS, Requester, registerProvider, spawnProvider, startTestChain, type ProviderProcess, type TestChain } from "./harness.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

let t: TestChain;
let requester: Requester;
const providers: ProviderProcess[] = [];

/** The market functions a transaction calls (tryMulticall's inner calls, or the call itself). */
function marketCalls(input: Hex): string[] {
  const outer = decodeFunctionData({ abi: jobMarketAbi, data: input });
  if (outer.functionName !== "tryMulticall") return [outer.functionName];
  return (outer.args[0] as readonly Hex[]).map((d) => decodeFunctionData({ abi: jobMarketAbi, data: d }).functionName);
}

beforeAll(async () => {
  // A pool window long enough that every bid lands inside it on a busy machine (a bid after it
  // that fills the pool awards the job itself, and there would be nothing to draw).
  t = await startTestChain({ poolWindow: 10 }, { engine: "anvil", blockTime: 1 });
  const market = t.deployment.jobMarket;
  await Promise.all(PROVIDER_KEYS.slice(0, 3).map((k) => registerProvider(t.rpcUrl, market, k.privateKey)));
  providers.push(...(await Promise.all(PROVIDER_KEYS.slice(0, 3).map((k) => spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: k.privateKey })))));
  requester = await Requester.create(t);
  await requester.connect(providers.flatMap((p) => p.info.multiaddrs));
}, 180_000);

afterAll(async () => {
  await Promise.all(providers.map((p) => p.kill()));
  await requester?.stop();
  await t?.stop();
});

async function settledByDrawingReveal(replicas: number, quorum: number, stdin: string) {
  const from = await t.publicClient.getBlockNumber({ cacheTime: 0 });
  const jobId = await requester.postJob({ replicas, quorum, stdin: new TextEncoder().encode(stdin) });
  const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed", "Expired"], 150_000);
  expect(info.state).toBe("Succeeded");
  const head = await t.publicClient.getBlockNumber({ cacheTime: 0 });
  const events = await getMarketEvents(t.publicClient, { address: t.deployment.jobMarket, fromBlock: from, toBlock: head, jobId });
  const daemons = new Set(providers.map((p) => p.info.address.toLowerCase()));
  const calls: string[] = [];
  const reverted: Hex[] = [];
  for (let n = from + 1n; n <= head; n++) {
    const block = await t.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      if (!daemons.has(tx.from.toLowerCase())) continue;
      calls.push(...marketCalls(tx.input));
      if ((await t.publicClient.getTransactionReceipt({ hash: tx.hash })).status !== "success") reverted.push(tx.hash);
    }
  }
  const awarded = events.filter((e) => e.eventName === "JobAwarded");
  const revealed = events.filter((e) => e.eventName === "Revealed");
  return { jobId, events, calls, reverted, awarded, revealed };
}

describe("the award riding in a reveal (anvil, 1 s blocks)", { timeout: 240_000 }, () => {
  it("a 3-of-3 job: every entry is drawn, so all reveal at once; the first mined draws, and no award is sent", async () => {
    const r = await settledByDrawingReveal(3, 3, "drawn by a reveal");
    expect(r.reverted).toEqual([]);
    expect(r.calls).not.toContain("award");
    expect(r.awarded).toHaveLength(1);
    expect(r.revealed).toHaveLength(3);
    // The draw came in the same transaction as a reveal, ahead of it.
    const drawTx = r.awarded[0]!.transactionHash;
    expect(r.revealed.some((e) => e.transactionHash === drawTx)).toBe(true);
    for (const p of providers) expect(p.logs.filter((l) => l.event === LOG_EVENTS.txReverted)).toEqual([]);
  });

  it("a 2-of-2 job with three committed bidders: the entries take turns, one reveal draws (perhaps its sender out), the drawn reveal, the one left out loses", async () => {
    const r = await settledByDrawingReveal(2, 2, "three bidders, two drawn");
    expect(r.reverted).toEqual([]);
    expect(r.calls).not.toContain("award");
    const bids = r.events.filter((e) => e.eventName === "BidPlaced").length;
    expect(r.awarded).toHaveLength(1);
    expect(r.revealed).toHaveLength(2);
    // The draw rode in a reveal. The seed comes from the drawing block, so the entry whose turn came
    // first may itself be left out: its reveal then fails inside the same tryMulticall (the draw
    // stands), and the two drawn reveal after it.
    const drawTx = await t.publicClient.getTransaction({ hash: r.awarded[0]!.transactionHash });
    expect(marketCalls(drawTx.input)).toContain("reveal");
    const leftOut = r.events.filter((e) => e.eventName === "BidDisplaced").map((e) => (e.args as { provider: string }).provider.toLowerCase());
    const drawerRevealed = r.revealed.some((e) => e.transactionHash === drawTx.hash);
    expect(drawerRevealed).toBe(!leftOut.includes(drawTx.from.toLowerCase()));
    // With three bids the draw left one out (BidDisplaced); with two (a provider busy) nobody.
    expect(leftOut).toHaveLength(bids - 2);
  });
});

// The commits a job shows are the contract's `commits` once the job is awarded: replicas that
// committed. A bid placed with bidAndCommit is not a commit until the award (Committed is emitted
// then); before it, getJob's `commits` counts the book's committed bids, which the page must not
// show as commits of a job no one has been awarded yet.
import { getMarketEvents } from "@accord/client/chain";
import { keccak256, parseUnits, toHex, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MarketIndex } from "../lib/server/indexer.ts";
import { jobDetail } from "../lib/server/market.ts";
import { chainOf } from "./chain.ts";
import { startDevnet, type Devnet } from "./harness.ts";

let devnet: Devnet;
let requester: ReturnType<typeof chainOf>;
let early: ReturnType<typeof chainOf>;
let late: ReturnType<typeof chainOf>;

/** The web server's index, built afresh from every event up to the head. */
async function indexed(jobId: bigint) {
  const pub = requester.pub as PublicClient;
  const head = await pub.getBlockNumber({ cacheTime: 0 });
  const index = new MarketIndex(pub);
  const events = await getMarketEvents(pub, { address: devnet.deployment.jobMarket, fromBlock: BigInt(devnet.deployment.startBlock), toBlock: head });
  await index.applyBatch(head, events);
  return jobDetail(index.jobs.get(jobId)!, index.chainTime);
}

describe("a job's commit count", () => {
  beforeAll(async () => {
    devnet = await startDevnet();
    // Accounts with no node behind them: the test sends their bids and commits itself.
    [requester, early, late] = [chainOf(devnet, 1), chainOf(devnet, 7), chainOf(devnet, 8)];
    for (const p of [early, late]) await p.registerProvider(parseUnits("100", 6));
  });

  afterAll(async () => {
    await devnet?.stop();
  });

  it("counts a bidAndCommit bid only once the job is awarded, as the contract's Committed says", async () => {
    // A zero bid window: the second bid fills the book and awards the job in its transaction.
    const { jobId } = await requester.postJob({ bidWindowS: 0, replicas: 2, quorum: 2 });
    const commitment = (tag: string) => keccak256(toHex(tag));

    await early.bid(jobId, 900_000n, commitment("early"));
    const open = await indexed(jobId);
    expect(open.state).toBe("Open");
    // The contract's view counts the committed bid in the book already; nobody is awarded yet.
    expect((await requester.getJob(jobId)).commits).toBe(1);
    expect(open.commits).toBe(0);
    expect(open.replicaRows).toEqual([]);

    await late.bid(jobId, 950_000n);
    const awarded = await indexed(jobId);
    expect(awarded.state).toBe("Committing");
    expect(awarded.commits).toBe((await requester.getJob(jobId)).commits);
    expect(awarded.commits).toBe(1);
    expect(awarded.replicaRows.map((r) => [r.provider, r.committed])).toEqual([
      [early.address, true],
      [late.address, false],
    ]);

    await late.commit(jobId, commitment("late"));
    const revealing = await indexed(jobId);
    expect(revealing.state).toBe("Revealing");
    expect(revealing.commits).toBe((await requester.getJob(jobId)).commits);
    expect(revealing.commits).toBe(2);
  });
});

import { describe, expect, it } from "vitest";
import { decodeErrorResult, decodeFunctionResult, encodeFunctionData, zeroAddress, type Address, type Hex } from "viem";
import { jobMarketAbi, reentrantTokenAbi } from "../../client/src/generated/abi.ts";
import { cidOf, eventsOf, reentrantMarket, revertOf, saltOf, State, type Deployed } from "./market.ts";
import { useMarket } from "./setup.ts";

const call = (functionName: string, args: readonly unknown[] = []) => encodeFunctionData({ abi: jobMarketAbi, functionName: functionName as never, args: args as never });
const errorOf = (data: Hex) => {
  const e = decodeErrorResult({ abi: [...jobMarketAbi, ...reentrantTokenAbi], data });
  return { name: e.errorName, args: e.args ?? [] };
};

/** What tryMulticall would return if `account` sent `items` to `market` now. */
async function simulateBatch(m: Deployed, market: Address, items: Hex[], account: Deployed["owner"]) {
  return m.publicClient.simulateContract({ address: market, abi: jobMarketAbi, functionName: "tryMulticall", args: [items], account });
}

describe("JobMarket tryMulticall", () => {
  const ctx = useMarket({ providers: 4 });

  it("runs every item as the caller, records each success or revert, and lets a lost bid not sink the rest", async () => {
    const { m } = ctx;
    const a = await m.post({ replicas: 1, quorum: 1 });
    const b = await m.post({ replicas: 1, quorum: 1 });
    const c = await m.post({ replicas: 1, quorum: 1 });
    await m.bid(b, 1, m.unit); // job b is awarded to provider 1 before provider 0's batch lands
    const p = m.providers[0];
    const data = [
      call("bidAndCommit", [a, m.unit, m.commitmentFor(a, 0)]),
      call("bid", [b, m.unit]),
      call("bidAndCommit", [c, 2n * m.unit, m.commitmentFor(c, 0)]),
      call("getJob", [a]),
    ];
    const { result } = await simulateBatch(m, m.market.address, data, p);
    const [ok, results] = result;
    expect(ok).toEqual([true, false, true, true]);
    expect(errorOf(results[1])).toEqual({ name: "WrongJobState", args: [b, State.Committing, State.Open] });
    expect(results[0]).toBe("0x");
    const job = decodeFunctionResult({ abi: jobMarketAbi, functionName: "getJob", data: results[3] });
    expect(job.state).toBe(State.Revealing);

    const hash = await m.market.write.tryMulticall([data], { account: p });
    const events = await eventsOf(m, hash);
    // msg.sender is the batch's sender in every item: the bids are provider 0's.
    expect(events.filter((e) => e.eventName === "BidPlaced").map((e) => [e.args.jobId, e.args.provider])).toEqual([[a, p.address], [c, p.address]]);
    expect((await m.market.read.getProvider([p.address])).locked).toBe(20n * m.unit); // two jobs' collateral: max price 10 each
    // The same batch again: every bid item now fails (already awarded), nothing changes, the call succeeds.
    const again = await simulateBatch(m, m.market.address, data.slice(0, 3), p);
    expect(again.result[0]).toEqual([false, false, false]);
    // Reveals of both jobs in one transaction; each settles its job.
    const reveal = (jobId: bigint) => call("reveal", [jobId, cidOf("result").cid, saltOf(`${jobId}:0`), cidOf("sealed", true).cid]);
    const settled = await eventsOf(m, await m.market.write.tryMulticall([[reveal(a), reveal(c)]], { account: p }));
    expect(settled.filter((e) => e.eventName === "JobSettled").map((e) => [e.args.jobId, e.args.state])).toEqual([[a, State.Succeeded], [c, State.Succeeded]]);
  });

  it("keeps every check: a non-owner's setParameters fails inside a batch, the owner's passes", async () => {
    const { m } = ctx;
    const next = { ...m.params, protocolFeeBps: 200 };
    const data = [call("setParameters", [next])];
    const stranger = await simulateBatch(m, m.market.address, data, m.requesters[0]);
    expect(stranger.result[0]).toEqual([false]);
    expect(errorOf(stranger.result[1][0])).toEqual({ name: "OwnableUnauthorizedAccount", args: [m.requesters[0].address] });
    await m.market.write.tryMulticall([data], { account: m.owner });
    expect((await m.market.read.parameters()).protocolFeeBps).toBe(200);
  });

  it("rolls a failed item back completely, even one that failed after writing", async () => {
    const { m } = ctx;
    const requester = m.requesters[1];
    const params = m.jobParams({ replicas: 1, quorum: 1 });
    // postJob writes the job record, then pulls the escrow: with no allowance the pull fails.
    const before = await m.token.read.balanceOf([m.market.address]);
    const { result } = await simulateBatch(m, m.market.address, [call("postJob", [params])], requester);
    expect(result[0]).toEqual([false]);
    const hash = await m.market.write.tryMulticall([[call("postJob", [params])]], { account: requester });
    expect(await eventsOf(m, hash)).toEqual([]);
    expect(await m.token.read.balanceOf([m.market.address])).toBe(before);
    // The record was not taken: the next job gets the id the failed one would have had.
    const jobId = await m.post({ replicas: 1, quorum: 1 });
    expect(jobId).toBe((1n << 32n) | 1n);
  });

  it("holds the reentrancy guard per item and refuses a batch entered from inside a market call", async () => {
    const { m } = ctx;
    const { hostile, market, requester, escrow } = await reentrantMarket(m);
    const withdraw = call("withdraw");
    // An item's transfer re-enters withdraw(): the guard stops it, the item fails, nothing moved.
    await hostile.write.arm([market.address, withdraw]);
    const batch = await simulateBatch(m, market.address, [withdraw], requester);
    expect(batch.result[0]).toEqual([false]);
    expect(errorOf(batch.result[1][0])).toEqual({ name: "ReentrancyGuardReentrantCall", args: [] });
    await market.write.tryMulticall([[withdraw]], { account: requester });
    expect(await market.read.withdrawable([requester.address])).toBe(escrow);
    // The hook re-enters through tryMulticall itself, from inside withdraw(): refused outright.
    await hostile.write.arm([market.address, encodeFunctionData({ abi: jobMarketAbi, functionName: "tryMulticall", args: [[withdraw]] })]);
    expect(await revertOf(market.write.withdraw({ account: requester }))).toEqual({ name: "ReentrancyGuardReentrantCall", args: [] });
    expect(await market.read.withdrawable([requester.address])).toBe(escrow);
    await hostile.write.arm([zeroAddress, "0x"]);
    await market.write.tryMulticall([[withdraw]], { account: requester });
    expect(await hostile.read.balanceOf([market.address])).toBe(0n);
  });
});

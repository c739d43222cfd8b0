import { describe, expect, it } from "vitest";
import { eventsOf, revertOf, State } from "./market.ts";
import { useMarket } from "./setup.ts";

describe("JobMarket auction", () => {
  const ctx = useMarket({ providers: 6 });

  it("checks the bidder: registered, minimum stake, reputation, free stake, one bid each", async () => {
    const { m } = ctx;
    // Provider 4 misses a 10-token job first, which drops its score to 10 / (10 + 2 * 10) = 3,333.
    const missed = await m.post({ replicas: 1, quorum: 1 });
    await m.bid(missed, 4, m.unit);
    await m.networkHelpers.time.increase(3_600);
    await m.market.write.claim([missed]);
    const jobId = await m.post({ replicas: 3, quorum: 2, bidWindow: 600, maxPrice: 400n * m.unit, minReputation: 5_000 });
    expect(await revertOf(m.bid(jobId, 8, m.unit))).toEqual({ name: "NotRegistered", args: [m.providers[8].address] });
    expect(await revertOf(m.bid(jobId, 0, 0n))).toEqual({ name: "BidPriceOutOfRange", args: [jobId, 0n, 400n * m.unit] });
    expect(await revertOf(m.bid(jobId, 0, 400n * m.unit + 1n))).toEqual({ name: "BidPriceOutOfRange", args: [jobId, 400n * m.unit + 1n, 400n * m.unit] });
    await m.bid(jobId, 0, m.unit);
    expect(await revertOf(m.bid(jobId, 0, m.unit))).toEqual({ name: "AlreadyBid", args: [jobId, m.providers[0].address] });
    // 1,000 staked, 400 locked by a 1-token bid: a 700-token job does not fit, even at 1 wei.
    const other = await m.post({ replicas: 1, quorum: 1, bidWindow: 600, maxPrice: 700n * m.unit });
    expect(await revertOf(m.bid(other, 0, 1n))).toEqual({ name: "InsufficientFreeStake", args: [m.providers[0].address, 600n * m.unit, 700n * m.unit] });
    // A provider registered without stake is below the minimum stake.
    await m.market.write.registerProvider(["0x01", [], 0n], { account: m.providers[8] });
    expect(await revertOf(m.bid(jobId, 8, m.unit))).toEqual({ name: "StakeBelowMinimum", args: [m.providers[8].address, 0n, 10n * m.unit] });
    expect(await revertOf(m.bid(jobId, 4, m.unit))).toEqual({ name: "ReputationTooLow", args: [m.providers[4].address, 3_333n, 5_000n] });
  });

  it("closes bidding at the deadline; award then awards >= quorum bids or expires", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    await m.bid(jobId, 0, m.unit);
    expect(await revertOf(m.market.write.award([jobId]))).toMatchObject({ name: "DeadlineNotReached" });
    await m.bid(jobId, 1, 2n * m.unit);
    await m.networkHelpers.time.increase(600);
    expect((await revertOf(m.bid(jobId, 2, m.unit))).name).toBe("BiddingClosed");
    const hash = await m.market.write.award([jobId]);
    const block = await m.publicClient.getBlock();
    expect((await eventsOf(m, hash))[0]).toMatchObject({ eventName: "JobAwarded", args: { jobId, winners: 2, commitDeadline: block.timestamp + 3_600n } });
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Committing);
    expect(await revertOf(m.market.write.award([jobId]))).toEqual({ name: "WrongJobState", args: [jobId, State.Committing, State.Open] });
    expect((await revertOf(m.bid(jobId, 2, m.unit))).name).toBe("WrongJobState");
  });

  it("expires a job with too few bids by the deadline, refunding and unlocking", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    await m.bid(jobId, 0, m.unit);
    await m.networkHelpers.time.increase(600);
    const hash = await m.market.write.award([jobId]);
    const settled = (await eventsOf(m, hash)).find((e) => e.eventName === "JobSettled")!;
    expect(settled.args).toMatchObject({ state: State.Expired, paid: 0n, refunded: 30n * m.unit + (30n * m.unit) / 100n });
    expect((await m.market.read.getProvider([m.providers[0].address])).locked).toBe(0n);
    expect((await m.market.read.getProvider([m.providers[0].address])).awarded).toBe(0);
  });

  it("awards at once with a zero bid window when k bids are in, or at the fill timeout with what it has", async () => {
    const { m } = ctx;
    const fast = await m.post({ replicas: 2, quorum: 2, bidWindow: 0 });
    await m.bid(fast, 0, m.unit);
    const hash = await m.bid(fast, 1, m.unit);
    expect((await eventsOf(m, hash)).map((e) => e.eventName)).toEqual(["BidPlaced", "JobAwarded"]);
    const slow = await m.post({ replicas: 3, quorum: 2, bidWindow: 0 });
    await m.bid(slow, 2, m.unit);
    await m.bid(slow, 3, m.unit);
    expect((await m.market.read.getJob([slow])).state).toBe(State.Open);
    await m.networkHelpers.time.increase(1_800);
    await m.market.write.claim([slow]);
    expect((await m.market.read.getJob([slow])).state).toBe(State.Committing);
  });
});

import { describe, expect, it } from "vitest";
import { toHex } from "viem";
import { eventsOf, revertOf, State, UNBONDING_DELAY_SECONDS } from "./market.ts";
import { useMarket } from "./setup.ts";

describe("JobMarket providers", () => {
  const ctx = useMarket({ providers: 2 });

  it("registers a provider once, with its peer id, addresses and ask price in a view and an event", async () => {
    const { m } = ctx;
    const account = m.providers[7];
    const hash = await m.market.write.registerProvider(["0x0024080112", ["/ip4/127.0.0.1/tcp/4001", "/dns4/x/tcp/1"], 42n], { account });
    const [e] = await eventsOf(m, hash);
    expect(e.eventName).toBe("ProviderRegistered");
    expect(e.args.multiaddrs).toEqual(["/ip4/127.0.0.1/tcp/4001", "/dns4/x/tcp/1"]);
    const p = await m.market.read.getProvider([account.address]);
    expect(p.registered).toBe(true);
    expect(p.peerId).toBe("0x0024080112");
    expect(p.askPrice).toBe(42n);
    expect(p.score).toBe(5_000);
    expect(await revertOf(m.market.write.registerProvider(["0x01", [], 0n], { account }))).toEqual({ name: "AlreadyRegistered", args: [account.address] });
  });

  it("updates a registered provider's record and refuses strangers", async () => {
    const { m } = ctx;
    const hash = await m.market.write.updateProvider(["0xbeef", ["/ip4/10.0.0.1/tcp/1"], 7n], { account: m.providers[0] });
    expect((await eventsOf(m, hash))[0].eventName).toBe("ProviderUpdated");
    const p = await m.market.read.getProvider([m.providers[0].address]);
    expect([p.peerId, p.multiaddrs, p.askPrice]).toEqual(["0xbeef", ["/ip4/10.0.0.1/tcp/1"], 7n]);
    const stranger = m.providers[9];
    expect(await revertOf(m.market.write.updateProvider(["0x01", [], 0n], { account: stranger }))).toEqual({ name: "NotRegistered", args: [stranger.address] });
  });

  it("bounds the peer id, the multiaddrs and the ask price", async () => {
    const { m } = ctx;
    const account = m.providers[8];
    expect((await revertOf(m.market.write.registerProvider(["0x", [], 0n], { account }))).name).toBe("PeerIdLengthOutOfRange");
    expect((await revertOf(m.market.write.registerProvider([toHex(new Uint8Array(65)), [], 0n], { account }))).args).toEqual([65n, 64n]);
    expect(await revertOf(m.market.write.registerProvider(["0x01", Array(9).fill("/a"), 0n], { account }))).toEqual({ name: "TooManyMultiaddrs", args: [9n, 8n] });
    expect(await revertOf(m.market.write.registerProvider(["0x01", ["/a", "x".repeat(257)], 0n], { account }))).toEqual({ name: "MultiaddrTooLong", args: [1n, 257n, 256n] });
    expect(await revertOf(m.market.write.registerProvider(["0x01", [], 2n ** 96n], { account }))).toEqual({ name: "AskPriceTooLarge", args: [2n ** 96n, 2n ** 96n - 1n] });
  });

  it("stakes only for registered providers, nonzero and within 96 bits", async () => {
    const { m } = ctx;
    const p = m.providers[0];
    await m.fund(p.address, 5n);
    await m.token.write.approve([m.market.address, 5n], { account: p });
    const hash = await m.market.write.stake([5n], { account: p });
    const [e] = await eventsOf(m, hash);
    expect(e.args).toMatchObject({ provider: p.address, amount: 5n, stake: 1_000n * m.unit + 5n });
    expect(await revertOf(m.market.write.stake([0n], { account: p }))).toEqual({ name: "ZeroAmount", args: [] });
    expect((await revertOf(m.market.write.stake([2n ** 96n], { account: p }))).name).toBe("AmountTooLarge");
    expect((await revertOf(m.market.write.stake([1n], { account: m.providers[9] }))).name).toBe("NotRegistered");
  });

  it("unbonds free stake only, and pays it out only after the delay", async () => {
    const { m } = ctx;
    const p = m.providers[0];
    const jobId = await m.post({ replicas: 1, quorum: 1, bidWindow: 600, maxPrice: 400n * m.unit });
    await m.bid(jobId, 0, 300n * m.unit); // locks the job's 400 (its max price) of the 1,000 staked
    expect(await revertOf(m.market.write.requestUnstake([601n * m.unit], { account: p }))).toEqual({ name: "UnstakeExceedsFree", args: [p.address, 601n * m.unit, 600n * m.unit] });
    expect(await revertOf(m.market.write.requestUnstake([0n], { account: p }))).toEqual({ name: "ZeroAmount", args: [] });
    expect(await revertOf(m.market.write.withdrawUnstaked({ account: p }))).toEqual({ name: "NothingToWithdraw", args: [p.address] });

    const hash = await m.market.write.requestUnstake([600n * m.unit], { account: p });
    const [e] = await eventsOf(m, hash);
    expect(e.eventName).toBe("UnstakeRequested");
    const view = await m.market.read.getProvider([p.address]);
    expect([view.stake, view.locked, view.unbonding]).toEqual([400n * m.unit, 400n * m.unit, 600n * m.unit]);
    expect((await revertOf(m.market.write.withdrawUnstaked({ account: p }))).name).toBe("UnbondingNotFinished");

    await m.networkHelpers.time.increase(UNBONDING_DELAY_SECONDS);
    const before = await m.token.read.balanceOf([p.address]);
    await m.market.write.withdrawUnstaked({ account: p });
    expect((await m.token.read.balanceOf([p.address])) - before).toBe(600n * m.unit);
    expect((await m.market.read.getProvider([p.address])).unbonding).toBe(0n);
    // The locked 400 stays put until the job ends.
    expect((await revertOf(m.market.write.requestUnstake([1n], { account: p }))).name).toBe("UnstakeExceedsFree");
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Open);
  });

  it("scores reputation as (agreedValue + prior) * 10_000 / (judgedValue + 2 * prior), prior = minStake", async () => {
    const { m } = ctx;
    expect((await m.market.read.getProvider([m.providers[0].address])).score).toBe(5_000);
    const jobId = await m.post({ replicas: 2, quorum: 2 });
    await m.bidAndCommit(jobId, 0, 4n * m.unit);
    await m.bidAndCommit(jobId, 1, 6n * m.unit);
    await m.reveal(jobId, 0);
    await m.reveal(jobId, 1);
    const p = await m.market.read.getProvider([m.providers[0].address]);
    expect([p.awarded, p.agreed, p.dissented, p.missed, p.earnings, p.agreedValue, p.judgedValue]).toEqual([1, 1, 0, 0, 4n * m.unit, 4n * m.unit, 4n * m.unit]);
    expect(p.score).toBe(5_833); // (4 + 10) / (4 + 20)
    expect((await m.market.read.getProvider([m.providers[1].address])).score).toBe(6_153); // (6 + 10) / (6 + 20)
    // The prior follows minStake: the score is recomputed with the prior in force when next judged.
    await m.market.write.setParameters([{ ...m.params, minStake: 0n }], { account: m.owner });
    const again = await m.post({ replicas: 2, quorum: 2, maxPrice: 1n });
    await m.bidAndCommit(again, 0, 1n);
    await m.bidAndCommit(again, 1, 1n);
    await m.reveal(again, 0);
    await m.reveal(again, 1);
    expect((await m.market.read.getProvider([m.providers[0].address])).score).toBe(9_999); // prior 1 wei: (4 tokens + 2 wei) / (4 tokens + 3 wei), floored
  });
});

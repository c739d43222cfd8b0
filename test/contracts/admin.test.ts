import { describe, expect, it } from "vitest";
import { encodeFunctionData, zeroAddress } from "viem";
import { computeCommitment } from "../../client/src/chain/commitment.ts";
import { commitmentOf, eventsOf, reentrantMarket, revertOf, saltOf } from "./market.ts";
import { useMarket } from "./setup.ts";

describe("JobMarket owner, construction and hostile tokens", () => {
  const ctx = useMarket({ providers: 2 });

  it("lets only the owner set parameters, within bounds, and running jobs keep their snapshot", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 1, quorum: 1 });
    const next = { ...m.params, protocolFeeBps: 500, collateralRatioBps: 20_000, minStake: 1n, fillTimeout: 60, unbondingDelay: 30 * 86_400 };
    expect(await revertOf(m.market.write.setParameters([next], { account: m.requesters[0] }))).toEqual({ name: "OwnableUnauthorizedAccount", args: [m.requesters[0].address] });
    const hash = await m.market.write.setParameters([next], { account: m.owner });
    expect((await eventsOf(m, hash))[0].eventName).toBe("ParametersChanged");
    expect(await m.market.read.parameters()).toEqual(next);
    expect((await m.market.read.getJob([jobId])).protocolFeeBps).toBe(100);
    expect((await m.market.read.getJob([await m.post()])).protocolFeeBps).toBe(500);

    const set = (p: Partial<typeof next>) => revertOf(m.market.write.setParameters([{ ...next, ...p }], { account: m.owner }));
    expect(await set({ protocolFeeBps: 501 })).toEqual({ name: "ProtocolFeeTooHigh", args: [501n, 500n] });
    expect(await set({ collateralRatioBps: 50_001 })).toEqual({ name: "CollateralRatioTooHigh", args: [50_001n, 50_000n] });
    expect(await set({ unbondingDelay: 30 * 86_400 + 1 })).toEqual({ name: "UnbondingDelayTooLong", args: [2_592_001n, 2_592_000n] });
    expect(await set({ fillTimeout: 59 })).toEqual({ name: "FillTimeoutOutOfRange", args: [59n, 60n, 604_800n] });
    expect(await set({ fillTimeout: 604_801 })).toEqual({ name: "FillTimeoutOutOfRange", args: [604_801n, 60n, 604_800n] });
    expect(await set({ treasury: zeroAddress })).toEqual({ name: "InvalidTreasury", args: [zeroAddress] });
  });

  it("keeps fees accrued under the old treasury with it when the owner moves the treasury", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 1, quorum: 1 });
    await m.bid(jobId, 0, 4n * m.unit);
    await m.commit(jobId, 0);
    await m.reveal(jobId, 0);
    const fee = (4n * m.unit) / 100n;
    expect(await m.market.read.withdrawable([m.treasury.address])).toBe(fee);
    const next = m.requesters[2].address;
    await m.market.write.setParameters([{ ...m.params, treasury: next }], { account: m.owner });
    expect(await m.market.read.withdrawable([m.treasury.address])).toBe(fee);
    expect(await m.market.read.withdrawable([next])).toBe(0n);
    await m.market.write.withdraw({ account: m.treasury });
    expect(await m.market.read.withdrawable([m.treasury.address])).toBe(0n);
    // The next settlement's fee accrues to the new treasury.
    const second = await m.post({ replicas: 1, quorum: 1 });
    await m.bid(second, 1, 4n * m.unit);
    await m.commit(second, 1);
    await m.reveal(second, 1);
    expect(await m.market.read.withdrawable([next])).toBe(fee);
    expect(await m.market.read.withdrawable([m.treasury.address])).toBe(0n);
  });

  it("transfers ownership in two steps", async () => {
    const { m } = ctx;
    await m.market.write.transferOwnership([m.requesters[1].address], { account: m.owner });
    expect((await m.market.read.owner()).toLowerCase()).toBe(m.owner.address.toLowerCase());
    await m.market.write.acceptOwnership({ account: m.requesters[1] });
    expect(await m.market.read.owner()).toBe(m.requesters[1].address);
    expect((await revertOf(m.market.write.setParameters([m.params], { account: m.owner }))).name).toBe("OwnableUnauthorizedAccount");
  });

  it("refuses a zero token, owner or treasury at construction", async () => {
    const { m } = ctx;
    const deploy = (args: [`0x${string}`, `0x${string}`, typeof m.params]) => revertOf(m.viem.deployContract("JobMarket", args as never));
    expect(await deploy([zeroAddress, m.owner.address, m.params])).toEqual({ name: "InvalidToken", args: [zeroAddress] });
    expect(await deploy([m.token.address, zeroAddress, m.params])).toEqual({ name: "OwnableInvalidOwner", args: [zeroAddress] });
    expect(await deploy([m.token.address, m.owner.address, { ...m.params, treasury: zeroAddress }])).toEqual({ name: "InvalidTreasury", args: [zeroAddress] });
  });

  it("exposes the token; the client computes the commitment reveal checks (the contract has no view for it)", async () => {
    const { m } = ctx;
    expect((await m.market.read.token()).toLowerCase()).toBe(m.token.address.toLowerCase());
    const digest = `0x${"ab".repeat(32)}` as const;
    // commitmentOf is what every reveal in these tests opens; the SDK's must be the same function.
    expect(computeCommitment(7n, m.providers[0].address, digest, saltOf("x"))).toBe(commitmentOf(7n, m.providers[0].address, digest, saltOf("x")));
  });

  it("blocks a token that re-enters the market during a transfer", async () => {
    const { m } = ctx;
    const { hostile, market, requester, params, escrow } = await reentrantMarket(m);
    // On the payout transfer the token calls withdraw() again: the guard stops the second entry.
    await hostile.write.arm([market.address, encodeFunctionData({ abi: market.abi, functionName: "withdraw" })]);
    expect(await revertOf(market.write.withdraw({ account: requester }))).toEqual({ name: "ReentrancyGuardReentrantCall", args: [] });
    expect(await market.read.withdrawable([requester.address])).toBe(escrow);
    // Re-entering postJob from inside postJob's transferFrom is stopped the same way.
    await hostile.write.arm([market.address, encodeFunctionData({ abi: market.abi, functionName: "postJob", args: [params] })]);
    expect((await revertOf(market.write.postJob([params], { account: requester }))).name).toBe("ReentrancyGuardReentrantCall");
    // Disarmed, the funds come out exactly once.
    await hostile.write.arm([zeroAddress, "0x"]);
    await market.write.withdraw({ account: requester });
    expect(await hostile.read.balanceOf([market.address])).toBe(0n);
  });
});

// The market's two halves of code (docs/PROTOCOL.md, "Contract layout"): JobMarket runs the
// ProviderRegistry's code by delegatecall on its own address, so the market's address serves the
// whole IJobMarket API in one storage, and the registry's own address serves nothing.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toFunctionSelector, toHex, type AbiFunction } from "viem";
import { jobMarketAbi, providerRegistryAbi } from "../../client/src/generated/abi.ts";
import { eventsOf, revertOf } from "./market.ts";
import { useMarket } from "./setup.ts";

const selectors = (abi: readonly unknown[]) =>
  new Set((abi as AbiFunction[]).filter((x) => x.type === "function").map((f) => toFunctionSelector(f)));

describe("JobMarket and its ProviderRegistry", () => {
  const ctx = useMarket({ providers: 1 });

  it("serves every IJobMarket function at the market's address, in the generated ABI the clients use", () => {
    const iface = JSON.parse(readFileSync("artifacts/contracts/interfaces/IJobMarket.sol/IJobMarket.json", "utf8")).abi;
    const served = selectors(jobMarketAbi);
    const missing = [...selectors(iface)].filter((s) => !served.has(s));
    expect(missing).toEqual([]);
    // The registry half is really there: its functions are part of the market's ABI.
    for (const s of selectors(providerRegistryAbi)) expect(served.has(s)).toBe(true);
  });

  it("keeps providers in the market's storage: what the registry writes, the job paths read, and events come from the market", async () => {
    const { m } = ctx;
    const account = m.providers[3];
    await m.fund(account.address, 50n * m.unit);
    await m.token.write.approve([m.market.address, 50n * m.unit], { account });
    const hash = await m.market.write.registerProvider([toHex("peer-3"), [], 1n], { account });
    expect((await eventsOf(m, hash)).map((e) => e.eventName)).toEqual(["ProviderRegistered"]);
    await m.market.write.stake([50n * m.unit], { account });
    // The stake moved to the market, not to the registry.
    expect(await m.token.read.balanceOf([await m.market.read.providerRegistry()])).toBe(0n);
    const jobId = await m.post({ replicas: 1, quorum: 1, bidWindow: 600 });
    await m.bid(jobId, 3, m.unit);
    const p = await m.market.read.getProvider([account.address]);
    expect(p.stake).toBe(50n * m.unit);
    expect(p.locked).toBeGreaterThan(0n);
  });

  it("refuses to run the registry's code on the registry's own address, where stake would be out of every market's reach", async () => {
    const { m } = ctx;
    const registry = m.at(await m.market.read.providerRegistry(), providerRegistryAbi);
    const account = m.providers[0];
    expect(await revertOf(registry.write.registerProvider([toHex("peer"), [], 1n], { account }))).toEqual({ name: "NotThroughMarket", args: [] });
    expect(await revertOf(registry.write.stake([1n], { account }))).toEqual({ name: "NotThroughMarket", args: [] });
    expect(await revertOf(registry.read.getProvider([account.address]))).toEqual({ name: "NotThroughMarket", args: [] });
  });

  it("reverts a call the market does not know, with no data, rather than accepting it", async () => {
    const { m } = ctx;
    await expect(m.publicClient.call({ to: m.market.address, data: "0xdeadbeef" })).rejects.toThrow();
  });
});

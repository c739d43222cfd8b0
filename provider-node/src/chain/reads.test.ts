import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { CachedReads } from "./reads.ts";
import type { ChainContext } from "./clients.ts";

const me = "0x00000000000000000000000000000000000000aa" as Address;
const record = { registered: true, peerId: "0x", multiaddrs: [], askPrice: 1n, stake: 100n, locked: 40n, unbonding: 0n, unbondingAvailableAt: 0n, earnings: 0n, awarded: 0, agreed: 0, dissented: 0, missed: 0, score: 5_000 };

/** A chain whose reads are counted; `fail` makes the next read throw. */
function countingChain() {
  const calls: string[] = [];
  let fail = false;
  const client = {
    readContract: async ({ functionName }: { functionName: string }) => {
      calls.push(functionName);
      if (fail) {
        fail = false;
        throw new Error("connection refused");
      }
      return functionName === "parameters" ? { minStake: 1n, unbondingDelay: 0, protocolFeeBps: 0, collateralRatioBps: 5_000, fillTimeout: 60, treasury: me } : record;
    },
  };
  return { chain: { client, market: "0x0000000000000000000000000000000000000001" } as unknown as ChainContext, calls, failNext: () => (fail = true) };
}

describe("CachedReads", () => {
  it("shares one read of the node's record among concurrent evaluations and reads again once it is too old", async () => {
    const { chain, calls } = countingChain();
    const reads = new CachedReads(chain, me, { ownMaxAgeMs: 60_000, parametersMaxAgeMs: 60_000 });
    const [a, b] = await Promise.all([reads.ownRecord(), reads.ownRecord()]);
    expect(a.info.free).toBe(60n);
    expect(b).toBe(a);
    expect(await reads.collateralRatioBps()).toBe(5_000);
    await reads.collateralRatioBps();
    expect(calls).toEqual(["getProvider", "parameters"]);

    const fresh = new CachedReads(chain, me, { ownMaxAgeMs: 0, parametersMaxAgeMs: 0 });
    await fresh.ownRecord();
    await fresh.ownRecord();
    expect(calls.filter((c) => c === "getProvider")).toHaveLength(3);
  });

  it("does not keep a failed read", async () => {
    const { chain, calls, failNext } = countingChain();
    const reads = new CachedReads(chain, me, { ownMaxAgeMs: 60_000, parametersMaxAgeMs: 60_000 });
    failNext();
    await expect(reads.ownRecord()).rejects.toThrow();
    expect((await reads.ownRecord()).info.registered).toBe(true);
    expect(calls).toEqual(["getProvider", "getProvider"]);
  });
});

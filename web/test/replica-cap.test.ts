// The job page's "Most replicas if results disagree" (the escalation cap), which JobPosted does not
// carry, read back from the escrow it does (lib/replica-cap.ts).
import { describe, expect, it } from "vitest";
import { BPS, MAX_PRICE_UNITS, MAX_PROTOCOL_FEE_BPS, MAX_REPLICAS } from "@accord/client/actions/chain";
import { replicaCapOf } from "../lib/replica-cap.ts";

/** The contract's escrow (MarketState._escrow). */
const escrowOf = (cap: number, maxPrice: bigint, feeBps: number) => BigInt(cap) * maxPrice + (BigInt(cap) * maxPrice * BigInt(feeBps)) / BigInt(BPS);

describe("replicaCapOf", () => {
  it("gives back every cap exactly, at any fee the contract allows and any max price", () => {
    const prices = [1n, 2n, 3n, 7n, 19n, 20n, 21n, 999_999n, 1_000_000n, 500_000n, BigInt(MAX_PRICE_UNITS)];
    const fees = [0, 1, 99, 100, 333, MAX_PROTOCOL_FEE_BPS - 1, MAX_PROTOCOL_FEE_BPS];
    for (let cap = 1; cap <= MAX_REPLICAS; cap++)
      for (const maxPrice of prices) for (const fee of fees) expect(replicaCapOf(escrowOf(cap, maxPrice, fee), maxPrice), `cap ${cap}, max price ${maxPrice}, fee ${fee} bps`).toBe(cap);
  });

  it("holds only while the largest fee on the largest job stays under one max price, which the contract's limits keep", () => {
    // If a new limit broke this, the escrow of c replicas could read as c + 1.
    expect(MAX_REPLICAS * MAX_PROTOCOL_FEE_BPS).toBeLessThan(BPS);
  });

  it("says nothing for figures no post could give", () => {
    expect(replicaCapOf(0n, 0n)).toBeUndefined();
    expect(replicaCapOf(5n, 10n)).toBeUndefined(); // less than one replica
    expect(replicaCapOf(17n * 10n, 10n)).toBeUndefined(); // more than MAX_REPLICAS
    expect(replicaCapOf(3n * 100n + 16n, 100n)).toBeUndefined(); // 3 replicas plus more than a 5 % fee
  });
});

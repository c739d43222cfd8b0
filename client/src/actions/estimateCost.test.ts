import { describe, expect, it } from "vitest";
import { escrowFor } from "./chain/offer.ts";
import { priceBreakdown, quoteFor, suggestMaxPrice } from "./estimateCost.ts";
import { parseAmount } from "./internal/token.ts";
import { InvalidAmountError } from "./errors.ts";

describe("escrowFor", () => {
  it("is k × maxPrice plus the floored protocol fee, as the contract computes it", () => {
    expect(escrowFor(3, 500_000n, 100)).toEqual({ escrow: 1_515_000n, fee: 15_000n });
    expect(escrowFor(1, 333n, 100)).toEqual({ escrow: 336n, fee: 3n });
    expect(escrowFor(16, 1n, 0)).toEqual({ escrow: 16n, fee: 0n });
  });
});

describe("quoteFor", () => {
  it("prices a job by its fuel limit, rounding up, never below one unit", () => {
    expect(quoteFor(1_000n, 1_000_000_000n)).toBe(1_000n);
    expect(quoteFor(1_000n, 50_000_000n)).toBe(50n);
    expect(quoteFor(3n, 1n)).toBe(1n);
    expect(quoteFor(0n, 10n ** 12n)).toBe(1n);
  });
});

describe("priceBreakdown", () => {
  it("adds memory and input to the fuel price as a provider does (issue #17: asks 1065, not 1000)", () => {
    const b = priceBreakdown(1_000n, { fuel: 1_000_000_000n, memoryPages: 1024, inputBytes: 100_000 });
    expect(b).toEqual({ fuel: 1_000n, memory: 64n, input: 1n, minPrice: 1n, price: 1_065n });
  });
  it("rounds memory and input up to whole MiB and never goes below minPrice", () => {
    expect(priceBreakdown(1_000n, { fuel: 1n, memoryPages: 17, inputBytes: 1024 * 1024 + 1 }).price).toBe(1n + 2n + 2n);
    expect(priceBreakdown(0n, { fuel: 0n, memoryPages: 0, inputBytes: 0 }, { pricePerMemoryMiB: 0n, pricePerInputMiB: 0n, minPrice: 50n }).price).toBe(50n);
  });
});

describe("parseAmount", () => {
  it("reads token amounts with the token's decimals", () => {
    expect(parseAmount("0.5", 6)).toBe(500_000n);
    expect(parseAmount("12", 6)).toBe(12_000_000n);
    expect(parseAmount(".25", 18)).toBe(250_000_000_000_000_000n);
  });
  it("refuses negatives, junk and too many decimals", () => {
    for (const bad of ["-1", "1e3", "abc", "0.1234567", "", "1.2.3"]) expect(() => parseAmount(bad, 6), bad).toThrow(InvalidAmountError);
  });
});

describe("suggestMaxPrice", () => {
  it("leaves twice the clearing price, rounded up, so memory and input charges still fit", () => {
    expect(suggestMaxPrice(10_000n)).toBe(20_000n);
    expect(suggestMaxPrice(1n)).toBe(2n);
    // The provider that declined the devnet job asked 10257 against a 10000 fuel-only quote.
    expect(suggestMaxPrice(10_000n) >= 10_257n).toBe(true);
  });
});

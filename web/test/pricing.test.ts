// The form's estimate must price a job exactly as a provider daemon does, or its suggested
// price gets declined: the client's priceBreakdown against provider-node's own priceFor.
import { DEFAULT_PROVIDER_RATES, priceBreakdown } from "@accord/client/actions";
import type { Manifest } from "@accord/client/manifest";
import { describe, expect, it } from "vitest";
import { priceFor } from "../../provider-node/src/index.ts";
import { DEFAULT_PRICING } from "../../provider-node/src/constants.ts";

describe("the web estimate's price model", () => {
  it("has the daemon's default memory and input rates", () => {
    const { pricePerGigaFuel: _, ...rates } = DEFAULT_PRICING;
    expect(rates).toEqual(DEFAULT_PROVIDER_RATES);
  });

  it("gives the daemon's price for jobs of every size", () => {
    let seed = 17;
    const rand = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    for (let i = 0; i < 500; i++) {
      const askPrice = BigInt(rand(3_000_000));
      const fuel = rand(2 ** 30) * (1 + rand(8));
      const memoryPages = 1 + rand(65_536);
      const moduleBytes = rand(4 << 20);
      const inputBytes = rand(64 << 20);
      const manifest = { limits: { fuel, memoryPages } } as Manifest;
      const daemon = priceFor(manifest, { moduleBytes, inputBytes }, { ...DEFAULT_PRICING, pricePerGigaFuel: askPrice });
      expect(priceBreakdown(askPrice, { fuel: BigInt(fuel), memoryPages, inputBytes: moduleBytes + inputBytes }).price, `case ${i}`).toBe(daemon);
    }
  });
});

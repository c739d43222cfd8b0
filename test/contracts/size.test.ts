import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { size } from "viem";
import config from "../../hardhat.config.ts";
import { deployMarket } from "./market.ts";

/** EIP-170: the most runtime bytecode a contract may have on Ethereum and its rollups. */
const MAX_CODE_BYTES = 24_576;
/** EIP-3860: the most init code a creation may carry; the market's includes its registry's. */
const MAX_INITCODE_BYTES = 2 * MAX_CODE_BYTES;

describe("JobMarket bytecode", () => {
  it("fits the EIP-170 limit, with its ProviderRegistry, so both deploy on a real chain", async () => {
    const m = await deployMarket();
    const market = size((await m.publicClient.getCode({ address: m.market.address }))!);
    const registry = size((await m.publicClient.getCode({ address: await m.market.read.providerRegistry() }))!);
    const { bytecode } = JSON.parse(readFileSync("artifacts/contracts/JobMarket.sol/JobMarket.json", "utf8"));
    // Printed so a change that eats the headroom shows in the test log before it fails.
    console.log(`JobMarket runtime bytecode: ${market} bytes, ${MAX_CODE_BYTES - market} under the limit`);
    console.log(`ProviderRegistry runtime bytecode: ${registry} bytes, ${MAX_CODE_BYTES - registry} under the limit`);
    console.log(`JobMarket init code (creates the registry): ${size(bytecode as `0x${string}`)} bytes of ${MAX_INITCODE_BYTES}`);
    expect(market).toBeLessThanOrEqual(MAX_CODE_BYTES);
    expect(registry).toBeLessThanOrEqual(MAX_CODE_BYTES);
    expect(size(bytecode as `0x${string}`)).toBeLessThanOrEqual(MAX_INITCODE_BYTES);
    // ...and the test chain enforces the limit rather than waving it through.
    expect(JSON.stringify(config.networks ?? {})).not.toContain("allowUnlimitedContractSize");
  });
});

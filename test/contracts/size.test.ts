import { describe, expect, it } from "vitest";
import { size } from "viem";
import config from "../../hardhat.config.ts";
import { deployMarket } from "./market.ts";

/** EIP-170: the most runtime bytecode a contract may have on Ethereum and its rollups. */
const MAX_CODE_BYTES = 24_576;

describe("JobMarket bytecode", () => {
  it("fits the EIP-170 limit, so it deploys on a real chain", async () => {
    const m = await deployMarket();
    const code = await m.publicClient.getCode({ address: m.market.address });
    const bytes = size(code!);
    // Printed so a change that eats the headroom shows in the test log before it fails.
    console.log(`JobMarket runtime bytecode: ${bytes} bytes, ${MAX_CODE_BYTES - bytes} under the limit`);
    expect(bytes).toBeLessThanOrEqual(MAX_CODE_BYTES);
    // ...and the test chain enforces the limit rather than waving it through.
    expect(JSON.stringify(config.networks ?? {})).not.toContain("allowUnlimitedContractSize");
  });
});

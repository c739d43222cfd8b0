// The calls and estimates a provider makes as of a chain time the last block has not reached
// (provider-node/src/chain/chain-time.ts): anvil takes block overrides, so a call that may act only
// after a deadline is simulated and sized before the block that passes it exists; Hardhat refuses
// them, and the client falls back to the last block for good. A contract that reverts while
// block.timestamp is below the number in its calldata stands for the market's deadlines.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWalletClient, encodeAbiParameters, http, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { ChainTimeCalls } from "../../provider-node/src/chain/chain-time.ts";
import { PROVIDER_KEYS, startTestChain, type TestChain } from "./harness.ts";

// Runtime: revert unless TIMESTAMP >= calldata word 0. Init copies the 14 runtime bytes and returns them.
const RUNTIME = "600035421060095700" + "5b600080fd";
const INIT = `0x600e600c600039600e6000f3${RUNTIME}` as Hex;

async function deployGate(t: TestChain): Promise<Address> {
  const account = privateKeyToAccount(PROVIDER_KEYS[0]!.privateKey);
  const wallet = createWalletClient({ account, chain: hardhat, transport: http(t.rpcUrl) });
  const hash = await wallet.sendTransaction({ data: INIT });
  const receipt = await t.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  return receipt.contractAddress!;
}

const notBefore = (time: bigint) => encodeAbiParameters([{ type: "uint256" }], [time]);

for (const engine of ["anvil", "hardhat"] as const) {
  describe(`calls as of a chain time (${engine})`, { timeout: 120_000 }, () => {
    let t: TestChain;
    let gate: Address;
    beforeAll(async () => {
      t = await startTestChain({}, engine === "anvil" ? { engine, blockTime: 1 } : {});
      gate = await deployGate(t);
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
    });

    it(engine === "anvil" ? "passes a deadline the last block has not reached, and still refuses one the given time has not" : "refuses the overrides once, then answers every call on the last block", async () => {
      const from = privateKeyToAccount(PROVIDER_KEYS[0]!.privateKey).address;
      const last = (await t.publicClient.getBlock({ blockTag: "latest" })).timestamp;
      const later = last + 100n;
      const calls = new ChainTimeCalls(t.publicClient);
      const tx = { from, to: gate, data: notBefore(later) };
      // On the last block the deadline is ahead: refused either way.
      await expect(calls.call(tx)).rejects.toThrow();
      if (engine === "anvil") {
        await expect(calls.call(tx, Number(later))).resolves.toBe("0x");
        expect(calls.supportsOverrides).toBe(true);
        expect(await calls.estimateGas(tx, Number(later))).toBeGreaterThan(21_000n);
        await expect(calls.call(tx, Number(later) - 1)).rejects.toThrow();
        await expect(calls.estimateGas(tx, Number(later) - 1)).rejects.toThrow();
      } else {
        await expect(calls.call(tx, Number(later))).rejects.toThrow();
        expect(calls.supportsOverrides).toBe(false);
        // A deadline already passed is answered as before, without asking for overrides again.
        const passed = { from, to: gate, data: notBefore(last) };
        await expect(calls.call(passed, Number(later))).resolves.toBe("0x");
        expect(await calls.estimateGas(passed, Number(later))).toBeGreaterThan(21_000n);
      }
    });
  });
}

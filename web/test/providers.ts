// Real provider nodes (provider-node's startProvider) for the web tests, registered and staked first.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createPublicClient, createWalletClient, erc20Abi, http, parseUnits, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { jobMarketAbi } from "@accord/client/abi";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { startProvider, type Fault, type Provider } from "../../provider-node/src/index.ts";
import type { Devnet } from "./harness.ts";

export type TestProvider = { address: Address; provider: Provider };

/** Whole tokens each test provider stakes: far above the devnet minimum and any job's collateral. */
const STAKE_TOKENS = "1000";

/**
 * Registers dev account `index` as a provider with a placeholder listing and stakes, then starts
 * the real provider node, which replaces the listing with its own peer id and addresses.
 */
/**
 * `pricing: "fuel-only"` (the default here) charges nothing for memory and input, so a job's
 * price is its fuel at the ask; `"default"` charges them at the daemon's own defaults, as a
 * provider started with no pricing settings does.
 */
export async function startTestProvider(devnet: Devnet, index: number, opts: { askPrice: bigint; fault?: Fault; pricing?: "fuel-only" | "default" }): Promise<TestProvider> {
  const account = privateKeyToAccount(DEV_ACCOUNTS[index]!.privateKey);
  const wallet = createWalletClient({ account, chain: hardhat, transport: http(devnet.rpcUrl) });
  const pub = createPublicClient({ chain: hardhat, transport: http(devnet.rpcUrl) });
  const market = devnet.deployment.jobMarket;
  const decimals = await pub.readContract({ address: devnet.deployment.token, abi: erc20Abi, functionName: "decimals" });
  const stake = parseUnits(STAKE_TOKENS, decimals);
  const send = async (hash: Hex) => {
    const r = await pub.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`provider setup transaction ${hash} reverted`);
  };
  // Any 1..64 bytes register; the node updates the listing with its real peer id on start.
  await send(await wallet.writeContract({ address: market, abi: jobMarketAbi, functionName: "registerProvider", args: ["0x00", [], opts.askPrice] }));
  await send(await wallet.writeContract({ address: devnet.deployment.token, abi: erc20Abi, functionName: "approve", args: [market, stake] }));
  await send(await wallet.writeContract({ address: market, abi: jobMarketAbi, functionName: "stake", args: [stake] }));

  const dataDir = mkdtempSync(join(tmpdir(), `accord-web-provider-${index}-`));
  const provider = await startProvider(
    {
      rpcUrl: devnet.rpcUrl,
      market,
      dataDir,
      privateKey: DEV_ACCOUNTS[index]!.privateKey,
      metricsPort: -1,
      askPrice: opts.askPrice,
      pricing: opts.pricing === "default" ? { pricePerGigaFuel: opts.askPrice } : { pricePerGigaFuel: opts.askPrice, pricePerMemoryMiB: 0n, pricePerInputMiB: 0n },
      fault: opts.fault,
      fromBlock: BigInt(devnet.deployment.startBlock),
    },
    { logger: pino({ level: process.env.ACCORD_TEST_LOG ?? "silent" }) },
  );
  const stop = provider.stop.bind(provider);
  provider.stop = async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { address: account.address, provider };
}

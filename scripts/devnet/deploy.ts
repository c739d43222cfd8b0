// Deploys Accord to a running chain with Hardhat Ignition and hands out test tokens: the one
// deployment path of the devnet, the cross-process tests and the benchmarks.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import hre from "hardhat";
import { createPublicClient, createWalletClient, http, parseUnits, type Address, type Hash } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { testTokenAbi } from "../../client/src/generated/abi.ts";
import { deploymentPath, deploymentsDir, type Deployment } from "../../client/src/deployments.ts";
import DevnetModule from "../../ignition/modules/Devnet.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "./accounts.ts";

export type DeployAccordParameters = {
  rpcUrl: string;
  tokenDecimals?: number;
  tokenSymbol?: string;
  /** Market parameters (docs/PROTOCOL.md); amounts in the token's smallest unit. */
  parameters?: Partial<{
    minStake: bigint;
    unbondingDelay: number;
    protocolFeeBps: number;
    collateralRatioBps: number;
    fillTimeout: number;
    treasury: Address;
    poolWindow: number;
    seedDelay: number;
  }>;
  /**
   * The chain's block time in seconds, if it mines on an interval: the pool window then defaults to one
   * second more, so an award-on-fill pool spans the block after the post (with a 2 s window and 2 s
   * blocks every bid would arrive after the window, and the first k bidders would take the job).
   */
  blockTime?: number;
  /** Who gets test tokens, and how many whole tokens each (default: every dev account but the deployer, 1,000,000). */
  fund?: { accounts?: readonly Address[]; amount?: string };
};

/** Deploys TestToken + JobMarket with Ignition on the chain at `rpcUrl` and funds the dev accounts. */
export async function deployAccord(p: DeployAccordParameters): Promise<Deployment> {
  const decimals = p.tokenDecimals ?? 6;
  const connection = await hre.network.create({ network: "localhost", override: { url: p.rpcUrl } });
  const publicClient = createPublicClient({ chain: hardhat, transport: http(p.rpcUrl) });
  const chainId = await publicClient.getChainId();
  const startBlock = await publicClient.getBlockNumber();

  // Every devnet chain is new, so its Ignition journal is of no use afterwards: a unique id
  // keeps parallel deployments (one chain per test file) from sharing a journal, and it is
  // removed once done.
  const deploymentId = `devnet-${chainId}-${process.pid}-${Date.now()}`;
  const params = Object.fromEntries(Object.entries(p.parameters ?? {}).filter(([, v]) => v !== undefined));
  if (params.poolWindow === undefined && p.blockTime) params.poolWindow = Math.max(2, p.blockTime + 1);
  let token: Address;
  let jobMarket: Address;
  try {
    const result = await connection.ignition.deploy(DevnetModule, {
      parameters: { AccordDevnet: { tokenDecimals: decimals, tokenSymbol: p.tokenSymbol ?? "tUSD", ...params } as never },
      deploymentId,
      config: { requiredConfirmations: 1 },
      displayUi: false,
    });
    token = result.token.address;
    jobMarket = result.jobMarket.address;
  } finally {
    rmSync(join(hre.config.paths.ignition, "deployments", deploymentId), { recursive: true, force: true });
    await connection.close();
  }

  const deployer = createWalletClient({
    chain: hardhat,
    transport: http(p.rpcUrl),
    account: privateKeyToAccount(DEV_ACCOUNTS[DEV_ROLES.deployer]!.privateKey),
  });
  const amount = parseUnits(p.fund?.amount ?? "1000000", decimals);
  const accounts = p.fund?.accounts ?? DEV_ACCOUNTS.slice(1).map((a) => a.address);
  const hashes: Hash[] = [];
  for (const to of accounts) {
    hashes.push(await deployer.writeContract({ address: token, abi: testTokenAbi, functionName: "mint", args: [to, amount] }));
  }
  for (const hash of hashes) await publicClient.waitForTransactionReceipt({ hash });

  return { chainId, jobMarket, token, startBlock: Number(startBlock), rpcUrl: p.rpcUrl };
}

/** Writes deployments/<chainId>.json, where client, provider-node and web look the addresses up. */
export function writeDeployment(deployment: Deployment, dir = deploymentsDir()): string {
  mkdirSync(dir, { recursive: true });
  const path = deploymentPath(deployment.chainId, dir);
  writeFileSync(path, JSON.stringify(deployment, null, 2) + "\n");
  return path;
}

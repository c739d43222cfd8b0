// One chain and one deployment per test file: a hardhat node (or anvil) on a free port, the contracts
// deployed by the lead's devnet scripts, and clients for the dev accounts.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http, type NonceManager, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { startChain, type Chain, type StartChainOptions } from "../../scripts/devnet/chain.ts";
import { deployAccord, writeDeployment, type DeployAccordParameters } from "../../scripts/devnet/deploy.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { freePort } from "../../scripts/devnet/ports.ts";
import { createAccordClient, type AccordClient } from "../../client/src/client.ts";
import type { Deployment } from "../../client/src/deployments.ts";
import { generateResultKey } from "../../client/src/seal/keys.ts";

export type Devnet = {
  chain: Chain;
  deployment: Deployment;
  /** Holds deployments/<chainId>.json and the nodes' data folders. */
  dir: string;
  publicClient: PublicClient;
  /** A requester client for dev account `index` (default the first requester), with its own content node. */
  requester(index?: number, account?: { nonceManager?: NonceManager }): AccordClient;
  stop(): Promise<void>;
};

/** `chainOptions` picks the node (Hardhat by default, or anvil) and its block time. */
export async function startDevnet(parameters: DeployAccordParameters["parameters"] = {}, chainOptions: StartChainOptions = {}): Promise<Devnet> {
  const chain = await startChain({ ...chainOptions, port: await freePort() });
  const dir = await mkdtemp(join(tmpdir(), "accord-requester-"));
  const clients: AccordClient[] = [];
  try {
    const deployment = await deployAccord({
      rpcUrl: chain.rpcUrl,
      blockTime: chain.blockTime,
      // Short fill timeout so a job without bids expires within a test (the contract's minimum).
      parameters: { minStake: 1_000_000n, fillTimeout: 60, protocolFeeBps: 100, collateralRatioBps: 5_000, ...parameters },
    });
    writeDeployment(deployment, dir);
    // With interval mining a receipt waits for its block; viem's default 4 s poll would add up to 4 s a transaction.
    const publicClient = createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl), pollingInterval: 100 }) as PublicClient;
    return {
      chain,
      deployment,
      dir,
      publicClient,
      requester(index = DEV_ROLES.requesters[0], accountOptions = {}) {
        const client = createAccordClient({
          chain: hardhat,
          transport: http(chain.rpcUrl),
          account: privateKeyToAccount(DEV_ACCOUNTS[index]!.privateKey, accountOptions),
          deployment,
          node: { dataDir: join(dir, `requester-${index}-${clients.length}`) },
          resultKey: generateResultKey(),
          pollingIntervalMs: 50,
        });
        clients.push(client);
        return client;
      },
      async stop() {
        await Promise.all(clients.map((c) => c.close()));
        await chain.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await chain.stop();
    throw err;
  }
}

/** Moves the chain's clock forward and mines a block (for deadlines in tests). */
export async function increaseTime(client: PublicClient, seconds: number): Promise<void> {
  await client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });
}

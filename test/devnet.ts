// The one devnet of the tests and benchmarks: a chain of its own on a free port (Hardhat's node or
// anvil, a block per transaction or on an interval), Accord deployed by the devnet's own deploy
// script with the test accounts funded, and clients for the dev accounts. test/, web/test and
// scripts/bench all start their chains here; `npm start` has its own (scripts/devnet/devnet.ts)
// because it also runs providers and the web app on fixed ports.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http, type Address, type NonceManager, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { startChain, type Chain, type ChainEngine } from "../scripts/devnet/chain.ts";
import { deployAccord, writeDeployment, type DeployAccordParameters } from "../scripts/devnet/deploy.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../scripts/devnet/accounts.ts";
import { freePort } from "../scripts/devnet/ports.ts";
import { createAccordClient, type AccordClient } from "../client/src/client.ts";
import type { Deployment } from "../client/src/deployments.ts";
import { generateResultKey } from "../client/src/seal/seal.ts";

export type MarketParameters = NonNullable<DeployAccordParameters["parameters"]>;

/**
 * The market most tests want: a 1-token minimum stake and a job without bids expiring within a
 * minute (the contract's least fill timeout), with a 1 % fee and 50 % collateral left in so that
 * their arithmetic is exercised.
 */
export const TEST_MARKET: MarketParameters = { minStake: 1_000_000n, fillTimeout: 60, protocolFeeBps: 100, collateralRatioBps: 5_000 };

export type DevnetOptions = {
  /** Which node runs the chain (default hardhat). */
  engine?: ChainEngine;
  /** Seconds between blocks (interval mining); absent: a block per transaction. */
  blockTime?: number;
  /**
   * The market's parameters over `base`. With "test" (the default) that is TEST_MARKET; with
   * "devnet", the parameters `npm start` deploys, as the web app meets them.
   */
  parameters?: MarketParameters;
  base?: "test" | "devnet";
  /** The accounts given test tokens (default every dev account but the deployer). */
  accounts?: readonly Address[];
};

export type Devnet = {
  chain: Chain;
  rpcUrl: string;
  deployment: Deployment;
  /** Holds <chainId>.json (ACCORD_DEPLOYMENTS_DIR for processes) and the nodes' data folders; removed at stop. */
  dir: string;
  /** Polls every 100 ms: with interval mining viem's default 4 s would add up to 4 s to every receipt. */
  publicClient: PublicClient;
  /** A requester client for dev account `index` (default the first requester), with its own content node. */
  requester(index?: number, account?: { nonceManager?: NonceManager }): AccordClient;
  /** Moves the chain's clock forward and mines a block (for deadlines). */
  increaseTime(seconds: number): Promise<void>;
  /** Closes the requester clients, stops the chain and removes `dir`. */
  stop(): Promise<void>;
};

export async function startDevnet(o: DevnetOptions = {}): Promise<Devnet> {
  const chain = await startChain({ engine: o.engine, blockTime: o.blockTime, port: await freePort() });
  const clients: AccordClient[] = [];
  let made: string | undefined;
  try {
    const dir = (made = await mkdtemp(join(tmpdir(), "accord-devnet-")));
    const deployment = await deployAccord({
      rpcUrl: chain.rpcUrl,
      blockTime: chain.blockTime,
      parameters: { ...((o.base ?? "test") === "test" ? TEST_MARKET : {}), ...o.parameters },
      fund: o.accounts ? { accounts: o.accounts } : undefined,
    });
    writeDeployment(deployment, dir);
    const publicClient = createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl), pollingInterval: 100 }) as PublicClient;
    return {
      chain,
      rpcUrl: chain.rpcUrl,
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
      increaseTime: (seconds) => increaseTime(publicClient, seconds),
      async stop() {
        await Promise.all(clients.map((c) => c.close()));
        await chain.stop();
        // A stopped node's datastore may still take a write already under way (ENOTEMPTY seen in CI): retry.
        await rm(dir, { recursive: true, force: true, maxRetries: 5 });
      },
    };
  } catch (err) {
    await chain.stop();
    if (made) await rm(made, { recursive: true, force: true });
    throw err;
  }
}

/** Moves the chain's clock forward and mines a block (for deadlines in tests). */
export async function increaseTime(client: PublicClient, seconds: number): Promise<void> {
  await client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });
}

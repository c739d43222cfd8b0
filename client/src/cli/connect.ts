import { createPublicClient, defineChain, http, type Address, type Chain } from "viem";
import { createAccordClient, type AccordClient } from "../client.ts";
import { readDeployment, type Deployment } from "../deployments.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import { CliConfigError, loadOrCreateResultKey, type ResolvedConfig } from "./config.ts";
import { rpcUnreachableError } from "./rpcHint.ts";

/** Reaching the RPC for the chain id before anything else: a dead URL fails fast. */
export const RPC_PROBE_TIMEOUT_MS = 5_000;

/**
 * viem's `hardhat` chain, spelled out: importing it from viem/chains loads every chain viem
 * knows (about 1,000 modules), which doubled the start-up of every command.
 */
const hardhat = defineChain({ id: 31_337, name: "Hardhat", nativeCurrency: { decimals: 18, name: "Ether", symbol: "ETH" }, rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } } });

function chainFor(id: number, rpcUrl: string): Chain {
  if (id === hardhat.id) return { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } };
  return defineChain({ id, name: `chain ${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
}

/** The client a command runs with; `withNode` starts a content node, `withKey` loads the result key. */
export async function clientFromConfig(cfg: ResolvedConfig, options: { withNode?: boolean; withKey?: boolean; signal?: AbortSignal } = {}): Promise<AccordClient> {
  const transport = http(cfg.rpcUrl, { timeout: 30_000, retryCount: 2 });
  let chainId = cfg.chainId;
  if (chainId === undefined) {
    try {
      chainId = await createPublicClient({ transport: http(cfg.rpcUrl, { timeout: RPC_PROBE_TIMEOUT_MS, retryCount: 0 }) }).getChainId();
    } catch (err) {
      throw rpcUnreachableError(cfg.rpcUrl, err, RPC_PROBE_TIMEOUT_MS);
    }
  }
  const chain = chainFor(chainId, cfg.rpcUrl);
  let deployment: Deployment;
  if (cfg.market) {
    let token = cfg.token;
    if (!token) {
      token = (await createPublicClient({ chain, transport }).readContract({ address: cfg.market, abi: jobMarketAbi, functionName: "token" })) as Address;
    }
    deployment = { chainId, jobMarket: cfg.market, token, startBlock: cfg.startBlock ?? 0 };
  } else {
    deployment = readDeployment(chainId);
  }
  return createAccordClient({
    chain,
    transport,
    // Loaded only with a key: signing code is a tenth of viem.
    account: cfg.privateKey ? (await import("viem/accounts")).privateKeyToAccount(cfg.privateKey) : undefined,
    deployment,
    // A DHT client: a command's node lives for the command (see AccordNodeOptions.dhtServer).
    node: options.withNode ? { dataDir: cfg.dataDir, dhtServer: false } : undefined,
    resultKey: options.withKey ? loadOrCreateResultKey(cfg.resultKeyFile) : undefined,
    pollingIntervalMs: chainId === hardhat.id ? 100 : 1_000,
  });
}

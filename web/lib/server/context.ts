import { readDeployment, type Deployment } from "@accord/client/deployments";
import { readParameters, type MarketParameters } from "@accord/client/chain";
import { BaseError } from "@accord/client/errors";
import { createPublicClient, defineChain, erc20Abi, http, type Chain, type PublicClient } from "viem";
import { hardhat } from "viem/chains";
import { appConfig, type AppConfig, type PublicConfig } from "../config.ts";

export type ServerContext = {
  config: AppConfig;
  chain: Chain;
  client: PublicClient;
  deployment: Deployment;
  token: { name: string; symbol: string; decimals: number };
  parameters: MarketParameters;
  publicConfig: PublicConfig;
};

export class ChainUnreachableError extends BaseError {
  override name = "ChainUnreachableError";
  constructor(rpcUrl: string, cause: unknown) {
    super(`The web server cannot reach the chain at ${rpcUrl}.`, {
      details: (cause as { shortMessage?: string; message?: string })?.shortMessage ?? (cause as Error)?.message,
      fix: "Start the local chain with `npm start`, or point ACCORD_RPC_URL at a JSON-RPC endpoint, then reload.",
      cause,
    });
  }
}

function chainFor(id: number, rpcUrl: string, name: string | undefined): Chain {
  if (id === hardhat.id) return { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } };
  return defineChain({
    id,
    name: name ?? `Chain ${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

async function load(): Promise<ServerContext> {
  const config = appConfig();
  const probe = createPublicClient({ transport: http(config.rpcUrl, { retryCount: 1, timeout: 5_000 }) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (err) {
    throw new ChainUnreachableError(config.rpcUrl, err);
  }
  const chain = chainFor(chainId, config.rpcUrl, config.chainName);
  const client = createPublicClient({ chain, transport: http(config.rpcUrl, { retryCount: 2 }), pollingInterval: 500 }) as PublicClient;
  const deployment = readDeployment(chainId, config.deploymentsDir);
  const tokenAt = { address: deployment.token, abi: erc20Abi } as const;
  const [name, symbol, decimals, parameters] = await Promise.all([
    client.readContract({ ...tokenAt, functionName: "name" }),
    client.readContract({ ...tokenAt, functionName: "symbol" }),
    client.readContract({ ...tokenAt, functionName: "decimals" }),
    readParameters(client, deployment.jobMarket),
  ]);
  const publicConfig: PublicConfig = {
    chainId,
    chainName: chain.name,
    publicRpcUrl: config.publicRpcUrl,
    jobMarket: deployment.jobMarket,
    token: deployment.token,
    tokenName: name,
    tokenSymbol: symbol,
    tokenDecimals: decimals,
    startBlock: deployment.startBlock,
    protocolFeeBps: parameters.protocolFeeBps,
    collateralRatioBps: parameters.collateralRatioBps,
    minStake: parameters.minStake.toString(),
    fillTimeout: parameters.fillTimeout,
    devWallet: chainId === config.devChainId,
    explorerUrl: config.explorerUrl,
    maxUploadFileBytes: config.maxUploadFileBytes,
    maxUploadRequestBytes: config.maxUploadRequestBytes,
  };
  return { config, chain, client, deployment, token: { name, symbol, decimals }, parameters, publicConfig };
}

// Route modules may be instantiated more than once; the context (and the index and content
// node hanging off it) must be one per server process.
const g = globalThis as unknown as { __accordContext?: Promise<ServerContext> };

/** The server's view of the deployment, loaded once; a failed load is retried on the next call. */
export function serverContext(): Promise<ServerContext> {
  g.__accordContext ??= load().catch((err) => {
    g.__accordContext = undefined;
    throw err;
  });
  return g.__accordContext;
}

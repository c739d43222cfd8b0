import { defineSettings, resolveSettings, settingKinds as kind, SHARED_SETTINGS } from "@accord/client/config";

/**
 * The web server's ACCORD_* settings, by the library's rule set (the CLI and the provider daemon
 * use the same): each its variable, its schema and a line. The server has no flags and no config
 * file, so the environment and the defaults are its only sources.
 */
export const WEB_SETTINGS = defineSettings({
  rpcUrl: { ...SHARED_SETTINGS.rpcUrl, description: "JSON-RPC the server reads the chain through" },
  publicRpcUrl: { env: "ACCORD_PUBLIC_RPC_URL", schema: kind.rpcUrl(), description: "RPC URL offered to injected wallets when they add the chain (default rpcUrl)" },
  deploymentsDir: { env: "ACCORD_DEPLOYMENTS_DIR", schema: kind.text(), path: true, description: "where deployments/<chainId>.json live (default the repository's)" },
  dataDir: { ...SHARED_SETTINGS.dataDir, env: "ACCORD_WEB_DATA_DIR", description: "the embedded content node's peer key, blocks and pins" },
  listen: { env: "ACCORD_WEB_LISTEN", schema: kind.list(kind.text(), "a list of multiaddrs (comma-separated)"), description: "libp2p listen addresses of the content node" },
  confirmations: { env: "ACCORD_CONFIRMATIONS", schema: kind.integer({ min: 0 }), description: "blocks to stay behind the head (reorg safety on public chains; 0 on the local chain)" },
  explorerUrl: { env: "ACCORD_EXPLORER_URL", schema: kind.httpUrl(), description: "a block explorer for the chain, Etherscan-style paths (none on the local chain)" },
  chainName: { env: "ACCORD_CHAIN_NAME", schema: kind.text(), description: "the chain's name on pages and in wallets (default Chain <id>)" },
});

/**
 * The one typed configuration of the web app. Everything deployment-specific comes from the
 * environment on the server; the browser receives the public part (PublicConfig) from the
 * root layout, so one build serves any chain.
 */
export type AppConfig = {
  rpcUrl: string;
  publicRpcUrl: string;
  deploymentsDir: string | undefined;
  dataDir: string;
  listen: string[];
  confirmations: number;
  explorerUrl: string | undefined;
  chainName: string | undefined;
  /** Chain id of the local devnet, the only chain the built-in development wallet appears on. */
  devChainId: number;
  /** Largest single upload, and largest upload request in total. */
  maxUploadFileBytes: number;
  maxUploadRequestBytes: number;
  /** Largest content the download route streams (a sealed result bundle). */
  maxDownloadBytes: number;
};

/** The configuration from the environment; a bad value fails with the variable named and what to set it to. */
export function appConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const { values } = resolveSettings(WEB_SETTINGS, {
    env,
    defaults: { rpcUrl: "http://127.0.0.1:8545", dataDir: ".accord/web", listen: ["/ip4/127.0.0.1/tcp/0"], confirmations: 0 },
  });
  return {
    rpcUrl: values.rpcUrl!,
    publicRpcUrl: values.publicRpcUrl ?? values.rpcUrl!,
    deploymentsDir: values.deploymentsDir,
    dataDir: values.dataDir!,
    listen: values.listen!,
    confirmations: values.confirmations!,
    explorerUrl: values.explorerUrl,
    chainName: values.chainName,
    devChainId: 31337,
    maxUploadFileBytes: 64 * 1024 * 1024,
    maxUploadRequestBytes: 256 * 1024 * 1024,
    maxDownloadBytes: 256 * 1024 * 1024,
  } as const satisfies AppConfig;
}

/** What the browser needs to know about the deployment; sent by the root layout. */
export type PublicConfig = {
  chainId: number;
  chainName: string;
  /** Offered to injected wallets (wallet_addEthereumChain); the app itself reads through /api/rpc. */
  publicRpcUrl: string;
  jobMarket: `0x${string}`;
  token: `0x${string}`;
  tokenName: string;
  tokenSymbol: string;
  tokenDecimals: number;
  startBlock: number;
  protocolFeeBps: number;
  collateralRatioBps: number;
  minStake: string;
  fillTimeout: number;
  /** The built-in development wallet (Hardhat's well-known accounts) is offered on this chain only. */
  devWallet: boolean;
  /** Where transactions and blocks link to; without it the page shows hashes to copy. */
  explorerUrl?: string;
  /** What the upload route takes: the form refuses bigger files before uploading anything. */
  maxUploadFileBytes: number;
  maxUploadRequestBytes: number;
};

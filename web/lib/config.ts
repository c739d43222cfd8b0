/**
 * The one typed configuration of the web app. Everything deployment-specific comes from the
 * environment on the server; the browser receives the public part (PublicConfig) from the
 * root layout, so one build serves any chain.
 */
export type AppConfig = {
  /** JSON-RPC the server reads the chain through (ACCORD_RPC_URL). */
  rpcUrl: string;
  /** RPC URL offered to injected wallets when they add the chain (ACCORD_PUBLIC_RPC_URL, default rpcUrl). */
  publicRpcUrl: string;
  /** Where deployments/<chainId>.json live (ACCORD_DEPLOYMENTS_DIR, default the repository's). */
  deploymentsDir: string | undefined;
  /** The embedded content node's peer key, blocks and pins (ACCORD_WEB_DATA_DIR). */
  dataDir: string;
  /** libp2p listen addresses of the content node (ACCORD_WEB_LISTEN, comma separated). */
  listen: string[];
  /** Blocks to stay behind the head (reorg safety on public chains; 0 on the local chain). */
  confirmations: number;
  /** A block explorer for the chain, Etherscan-style paths (ACCORD_EXPLORER_URL; none on the local chain). */
  explorerUrl: string | undefined;
  /** Chain id of the local devnet, the only chain the built-in development wallet appears on. */
  devChainId: number;
  /** Largest single upload, and largest upload request in total. */
  maxUploadFileBytes: number;
  maxUploadRequestBytes: number;
  /** Largest content the download route streams (a sealed result bundle). */
  maxDownloadBytes: number;
};

const env = (name: string): string | undefined => (process.env[name] ? process.env[name] : undefined);

export function appConfig(): AppConfig {
  const rpcUrl = env("ACCORD_RPC_URL") ?? "http://127.0.0.1:8545";
  return {
    rpcUrl,
    publicRpcUrl: env("ACCORD_PUBLIC_RPC_URL") ?? rpcUrl,
    deploymentsDir: env("ACCORD_DEPLOYMENTS_DIR"),
    dataDir: env("ACCORD_WEB_DATA_DIR") ?? ".accord/web",
    listen: (env("ACCORD_WEB_LISTEN") ?? "/ip4/127.0.0.1/tcp/0").split(",").map((s) => s.trim()).filter(Boolean),
    confirmations: Number(env("ACCORD_CONFIRMATIONS") ?? 0),
    explorerUrl: env("ACCORD_EXPLORER_URL"),
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

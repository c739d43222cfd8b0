import { createConfig, http, injected, type Config, type CreateConnectorFn } from "wagmi";
import type { Chain } from "viem";
import { hardhat } from "viem/chains";
import type { PublicConfig } from "../config.ts";
import { devWallet } from "./dev-wallet.ts";

/** The deployment's chain as viem and wallets see it. */
export function chainOf(c: PublicConfig): Chain {
  const base = c.chainId === hardhat.id ? hardhat : undefined;
  return {
    ...(base ?? { nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 } }),
    id: c.chainId,
    name: c.chainName,
    rpcUrls: { default: { http: [c.publicRpcUrl] } },
  } as Chain;
}

/**
 * wagmi for one deployment: injected wallets (MetaMask and the like, found through EIP-6963)
 * on the deployment's chain, and on the local chain the built-in development wallet. The app
 * reads the chain through the server's /api/rpc relay so it works whatever CORS the RPC sends.
 */
export function createWagmiConfig(c: PublicConfig, origin: string): Config {
  const rpcUrl = `${origin}/api/rpc`;
  const connectors: CreateConnectorFn[] = [injected()];
  if (c.devWallet) connectors.push(devWallet({ rpcUrl }));
  const chain = chainOf(c);
  return createConfig({
    chains: [chain],
    connectors,
    multiInjectedProviderDiscovery: true,
    transports: { [chain.id]: http(rpcUrl) },
    ssr: true,
  });
}

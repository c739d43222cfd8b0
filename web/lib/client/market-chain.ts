import type { MarketChain } from "@accord/client/actions/chain";
import { BaseError } from "@accord/client/errors";
import type { Address } from "viem";
import type { Config } from "wagmi";
import { getPublicClient, getWalletClient } from "wagmi/actions";

/**
 * What the library's chain actions take, from wagmi: its public client (reads through the
 * server's /api/rpc relay) and the connected wallet's client, which signs: a browser extension,
 * or the development wallet in the page.
 */
export async function marketChainOf(wagmi: Config, app: { jobMarket: Address; token: Address }, account: Address): Promise<MarketChain> {
  const publicClient = getPublicClient(wagmi);
  if (!publicClient) throw new BaseError("The app has no client for the deployment's chain.", { fix: "Reload the page; if it stays, the server's configuration names a chain the app does not know." });
  const walletClient = await getWalletClient(wagmi, { account });
  return { publicClient, walletClient, market: app.jobMarket, token: app.token };
}

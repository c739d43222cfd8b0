import { erc20Abi, type Address } from "viem";
import { AccountRequiredError, type AccordClient } from "../client.ts";
import { explainChainError, type ChainRequestError } from "../chain/revert.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import { getTokenInfo, type TokenInfo } from "./internal/token.ts";

export type GetBalanceParameters = { address?: Address };
export type GetBalanceReturnType = {
  address: Address;
  token: TokenInfo;
  /** Token units in the wallet. */
  wallet: bigint;
  /** Token units the market credited and `withdraw` would send. */
  withdrawable: bigint;
  /** What the market may move without a new approval or permit. */
  allowance: bigint;
};
export type GetBalanceErrorType = AccountRequiredError | ChainRequestError;

/** The account's token balance, what the market holds for it, and its allowance. */
export async function getBalance(client: AccordClient, parameters: GetBalanceParameters = {}): Promise<GetBalanceReturnType> {
  const address = parameters.address ?? client.account?.address;
  if (!address) throw new AccountRequiredError("Reading a balance");
  const { token, jobMarket } = client.deployment;
  try {
    const [info, wallet, withdrawable, allowance] = await Promise.all([
      getTokenInfo(client),
      client.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
      client.publicClient.readContract({ address: jobMarket, abi: jobMarketAbi, functionName: "withdrawable", args: [address] }),
      client.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "allowance", args: [address, jobMarket] }),
    ]);
    return { address, token: info, wallet, withdrawable: withdrawable as bigint, allowance };
  } catch (err) {
    throw explainChainError(`Reading the balances of ${address}`, err);
  }
}

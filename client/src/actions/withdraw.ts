import { parseEventLogs, type Hash } from "viem";
import type { AccordClient, AccountRequiredError } from "../client.ts";
import type { ChainRequestError, ContractRevertedError } from "../chain/revert.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import { writeMarket } from "./internal/transact.ts";

export type WithdrawParameters = { signal?: AbortSignal };
export type WithdrawReturnType = { transactionHash: Hash; amount: bigint };
export type WithdrawErrorType = AccountRequiredError | ContractRevertedError | ChainRequestError;

/** Sends the account everything the market credited to it: refunds, slashed collateral, earnings. */
export async function withdraw(client: AccordClient, parameters: WithdrawParameters = {}): Promise<WithdrawReturnType> {
  const { hash, receipt } = await writeMarket(client, { action: "Withdrawing", functionName: "withdraw", args: [], signal: parameters.signal });
  const [ev] = parseEventLogs({ abi: jobMarketAbi, eventName: "Withdrawn", logs: receipt.logs });
  return { transactionHash: hash, amount: ev?.args.amount ?? 0n };
}

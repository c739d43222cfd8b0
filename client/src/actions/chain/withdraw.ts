import { parseEventLogs, type Hash } from "viem";
import type { ChainRequestError, ContractRevertedError } from "../../chain/revert.ts";
import { jobMarketAbi } from "../../generated/abi.ts";
import type { AccountRequiredError } from "../errors.ts";
import { writeMarket, type MarketChain, type TransactionProgress } from "./marketChain.ts";

export type WithdrawParameters = { onProgress?: (p: TransactionProgress) => void; signal?: AbortSignal };
export type WithdrawReturnType = { transactionHash: Hash; blockNumber: bigint; amount: bigint };
export type WithdrawErrorType = AccountRequiredError | ContractRevertedError | ChainRequestError;

/** Sends the account everything the market credited to it: refunds, slashed collateral, earnings. */
export async function withdraw(chain: MarketChain, parameters: WithdrawParameters = {}): Promise<WithdrawReturnType> {
  const { hash, receipt } = await writeMarket(chain, { action: "Withdrawing", functionName: "withdraw", args: [], onProgress: parameters.onProgress, signal: parameters.signal });
  const [ev] = parseEventLogs({ abi: jobMarketAbi, eventName: "Withdrawn", logs: receipt.logs });
  return { transactionHash: hash, blockNumber: receipt.blockNumber, amount: ev?.args.amount ?? 0n };
}

import { parseEventLogs, type Hash } from "viem";
import type { ChainRequestError, ContractRevertedError } from "../../chain/revert.ts";
import { jobMarketAbi } from "../../generated/abi.ts";
import type { AccountRequiredError } from "../errors.ts";
import { writeMarket, type MarketChain, type TransactionProgress } from "./marketChain.ts";

export type CancelJobParameters = { jobId: bigint; onProgress?: (p: TransactionProgress) => void; signal?: AbortSignal };
export type CancelJobReturnType = {
  transactionHash: Hash;
  blockNumber: bigint;
  /** Escrow credited back to the requester; `withdraw` sends it. */
  refunded: bigint;
};
export type CancelJobErrorType = AccountRequiredError | ContractRevertedError | ChainRequestError;

/** Cancels an Open job (before the award): bidders' collateral is unlocked, the escrow credited back. */
export async function cancelJob(chain: MarketChain, parameters: CancelJobParameters): Promise<CancelJobReturnType> {
  const { hash, receipt } = await writeMarket(chain, { action: `Cancelling job ${parameters.jobId}`, functionName: "cancel", args: [parameters.jobId], onProgress: parameters.onProgress, signal: parameters.signal });
  const [settled] = parseEventLogs({ abi: jobMarketAbi, eventName: "JobSettled", logs: receipt.logs });
  return { transactionHash: hash, blockNumber: receipt.blockNumber, refunded: settled?.args.refunded ?? 0n };
}

import { parseEventLogs, type Hash } from "viem";
import type { AccordClient, AccountRequiredError } from "../client.ts";
import type { ChainRequestError, ContractRevertedError } from "../chain/revert.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import { writeMarket } from "./internal/transact.ts";

export type CancelJobParameters = { jobId: bigint; signal?: AbortSignal };
export type CancelJobReturnType = {
  transactionHash: Hash;
  /** Escrow credited back to the requester; `withdraw` sends it. */
  refunded: bigint;
};
export type CancelJobErrorType = AccountRequiredError | ContractRevertedError | ChainRequestError;

/** Cancels an Open job (before the award): bidders' collateral is unlocked, the escrow credited back. */
export async function cancelJob(client: AccordClient, parameters: CancelJobParameters): Promise<CancelJobReturnType> {
  const { hash, receipt } = await writeMarket(client, { action: `Cancelling job ${parameters.jobId}`, functionName: "cancel", args: [parameters.jobId], signal: parameters.signal });
  const [settled] = parseEventLogs({ abi: jobMarketAbi, eventName: "JobSettled", logs: receipt.logs });
  return { transactionHash: hash, refunded: settled?.args.refunded ?? 0n };
}

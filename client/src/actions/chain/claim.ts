import { parseEventLogs, type Hash } from "viem";
import { JOB_STATES, type JobStateName } from "../../generated/enums.ts";
import type { ChainRequestError, ContractRevertedError } from "../../chain/revert.ts";
import { jobMarketAbi } from "../../generated/abi.ts";
import type { AccountRequiredError } from "../errors.ts";
import { writeMarket, type MarketChain, type TransactionProgress } from "./marketChain.ts";

export type ClaimParameters = { jobId: bigint; onProgress?: (p: TransactionProgress) => void; signal?: AbortSignal };
export type ClaimReturnType = {
  transactionHash: Hash;
  blockNumber: bigint;
  /** The state the job reached, when the claim ended it (Expired, Failed, Succeeded, NoConsensus). */
  settledState: JobStateName | undefined;
};
export type ClaimErrorType = AccountRequiredError | ContractRevertedError | ChainRequestError;

/**
 * Pushes a job whose phase deadline passed as far as the deadlines allow (awards or expires an
 * Open job, fails or opens the reveal of a Committing job, settles a Revealing job). Anyone may
 * call it; the requester does so to get a stuck job's escrow back.
 */
export async function claim(chain: MarketChain, parameters: ClaimParameters): Promise<ClaimReturnType> {
  const { hash, receipt } = await writeMarket(chain, { action: `Claiming job ${parameters.jobId}`, functionName: "claim", args: [parameters.jobId], onProgress: parameters.onProgress, signal: parameters.signal });
  const [settled] = parseEventLogs({ abi: jobMarketAbi, eventName: "JobSettled", logs: receipt.logs });
  return { transactionHash: hash, blockNumber: receipt.blockNumber, settledState: settled ? JOB_STATES[Number(settled.args.state)] : undefined };
}

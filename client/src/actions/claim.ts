import { parseEventLogs, type Hash } from "viem";
import type { AccordClient, AccountRequiredError } from "../client.ts";
import { JOB_STATES, type JobStateName } from "../chain/constants.ts";
import type { ChainRequestError, ContractRevertedError } from "../chain/revert.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import { writeMarket } from "./internal/transact.ts";

export type ClaimParameters = { jobId: bigint; signal?: AbortSignal };
export type ClaimReturnType = {
  transactionHash: Hash;
  /** The state the job reached, when the claim ended it (Expired, Failed, Succeeded, NoConsensus). */
  settledState: JobStateName | undefined;
};
export type ClaimErrorType = AccountRequiredError | ContractRevertedError | ChainRequestError;

/**
 * Pushes a job whose phase deadline passed as far as the deadlines allow (awards or expires an
 * Open job, fails or opens the reveal of a Committing job, settles a Revealing job). Anyone may
 * call it; the requester does so to get a stuck job's escrow back.
 */
export async function claim(client: AccordClient, parameters: ClaimParameters): Promise<ClaimReturnType> {
  const { hash, receipt } = await writeMarket(client, { action: `Claiming job ${parameters.jobId}`, functionName: "claim", args: [parameters.jobId], signal: parameters.signal });
  const [settled] = parseEventLogs({ abi: jobMarketAbi, eventName: "JobSettled", logs: receipt.logs });
  return { transactionHash: hash, settledState: settled ? JOB_STATES[Number(settled.args.state)] : undefined };
}

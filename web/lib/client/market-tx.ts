import { cancelJob, claim, TransactionRevertedError, withdraw, type TransactionProgress } from "@accord/client/actions/chain";
import { ContractRevertedError, explainChainError, JOB_STATES } from "@accord/client/chain";
import { BaseError } from "@accord/client/errors";
import type { Address, Hash } from "viem";
import type { Config } from "wagmi";
import { marketChainOf } from "./market-chain.ts";

/** The market calls the web app sends on a user's behalf besides posting. */
export type MarketCall = { functionName: "cancel"; args: readonly [bigint] } | { functionName: "claim"; args: readonly [bigint] } | { functionName: "withdraw"; args: readonly [] };

export type TxStep = "simulate" | "sign" | "confirm";
export const TX_STEP_LABEL: Record<TxStep, string> = {
  simulate: "Checking with the chain…",
  sign: "Sign the transaction in your wallet…",
  confirm: "Waiting for the transaction to be mined…",
};

const ACTION: Record<MarketCall["functionName"], string> = { cancel: "Cancelling the job", claim: "Claiming the job", withdraw: "Withdrawing" };

const STATE_TEXT: Record<string, string> = {
  Open: "open for bids",
  Committing: "awarded and running",
  Revealing: "in its reveal phase",
  Succeeded: "settled (quorum agreed)",
  NoConsensus: "settled without consensus",
  Failed: "failed (too few commits)",
  Cancelled: "cancelled",
  Expired: "expired unfilled",
};
const stateText = (v: unknown) => STATE_TEXT[JOB_STATES[Number(v)] ?? ""] ?? `in state ${String(v)}`;
const REFUND_HINT = "If it ended without paying anyone, the escrow is credited to the requester: withdraw it from My jobs & earnings.";

/** A market call the contract refused, told in the web app's words; `details` keeps the decoded error. */
export class MarketActionError extends BaseError {
  override name = "MarketActionError";
  readonly errorName?: string;
  constructor(message: string, fix: string, cause: BaseError) {
    super(message, { fix, details: cause.shortMessage, cause });
    this.errorName = cause instanceof ContractRevertedError ? cause.errorName : undefined;
  }
}

/**
 * The sentence a user of the page needs for a refusal. The client library's fixes speak to CLI
 * users (`accord job status`); here the same errors point at what the page offers.
 */
export function explainMarketError(call: MarketCall, err: unknown): BaseError {
  const base = explainChainError(ACTION[call.functionName], err);
  if (!(base instanceof ContractRevertedError)) return base;
  const a = base.args;
  const own = (message: string, fix: string) => new MarketActionError(message, fix, base);
  switch (base.errorName) {
    case "WrongJobState":
      if (call.functionName === "cancel") return own(`This job can no longer be cancelled: it is ${stateText(a[1])} now, and only a job still open for bids can be.`, `Look at the job as it is now (the page has refreshed). ${REFUND_HINT}`);
      break;
    case "NotRequester":
      return own(`Only the account that posted this job (${String(a[2])}) can cancel it; you are connected as ${String(a[1])}.`, "Switch your wallet to the requester's account and try again.");
    case "JobTerminal":
      return own(`There is nothing left to claim: the job is already ${stateText(a[1])}.`, `Nothing to do; the page has refreshed. ${REFUND_HINT}`);
    case "DeadlineNotReached":
      return own(`The job's current deadline has not passed yet (${Number(a[1]) - Number(a[2])} s to go by the chain's clock).`, "Wait for the deadline: until then the providers may still act. The claim button shows once it has passed.");
    case "JobNotFound":
      return own("This job has ended and its record was reused by a later job, so nothing can be done to it any more.", "Nothing to do; its history stays on this page.");
    case "NothingToWithdraw":
      return own("Nothing is credited to this account in the market.", "Refunds, slashed collateral and earnings appear here once a job settles; then withdraw them.");
  }
  return base;
}

export type SendMarketCallArgs = { wagmi: Config; app: { jobMarket: Address; token: Address }; account: Address; call: MarketCall; onStep: (s: TxStep) => void };

/**
 * Sends the call with the library's chain action: its gas estimate runs the call first, so a
 * refusal is told before the wallet asks for a signature; then the connected wallet signs and
 * sends it, and the action waits for it to be mined.
 */
export async function sendMarketCall({ wagmi, app, account, call, onStep }: SendMarketCallArgs): Promise<{ hash: Hash; blockNumber: bigint }> {
  onStep("simulate");
  const onProgress = (p: TransactionProgress) => onStep(p.step === "sending" ? "sign" : "confirm");
  try {
    const chain = await marketChainOf(wagmi, app, account);
    const done =
      call.functionName === "withdraw"
        ? await withdraw(chain, { onProgress })
        : await (call.functionName === "cancel" ? cancelJob : claim)(chain, { jobId: call.args[0], onProgress });
    return { hash: done.transactionHash, blockNumber: done.blockNumber };
  } catch (err) {
    if (err instanceof TransactionRevertedError)
      throw new BaseError(`The transaction ${err.transactionHash} was mined but reverted: the job changed between the check and the transaction.`, { fix: "Look at the page as it is now, then try again if the action still shows.", cause: err });
    throw explainMarketError(call, err);
  }
}

// A refused cancel, claim or withdraw reads as a sentence about the page, with the decoded error kept.
import { jobMarketAbi } from "@accord/client/abi";
import { ContractFunctionRevertedError, encodeErrorResult, zeroAddress } from "viem";
import { describe, expect, it } from "vitest";
import { explainMarketError, MarketActionError, type MarketCall } from "../lib/client/market-tx.ts";

const CANCEL: MarketCall = { functionName: "cancel", args: [7n] };
const CLAIM: MarketCall = { functionName: "claim", args: [7n] };
const WITHDRAW: MarketCall = { functionName: "withdraw", args: [] };
const ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** What viem throws when the market reverts a simulated call. */
function reverted(call: MarketCall, errorName: string, args: readonly unknown[]) {
  const data = encodeErrorResult({ abi: jobMarketAbi, errorName, args } as never);
  return new ContractFunctionRevertedError({ abi: jobMarketAbi, data, functionName: call.functionName });
}

describe("explainMarketError", () => {
  it("says why a cancel was refused and keeps the decoded error as the details", () => {
    const e = explainMarketError(CANCEL, reverted(CANCEL, "WrongJobState", [7n, 2, 1]));
    expect(e).toBeInstanceOf(MarketActionError);
    expect(e.shortMessage).toBe("This job can no longer be cancelled: it is awarded and running now, and only a job still open for bids can be.");
    expect(e.details).toBe("Cancelling the job was reverted by the contract: WrongJobState(7, 2, 1).");
    expect(e.fix).toMatch(/withdraw it from My jobs & earnings/);
  });

  it("names the requester when another account tries to cancel", () => {
    const e = explainMarketError(CANCEL, reverted(CANCEL, "NotRequester", [7n, zeroAddress, ALICE]));
    expect(e.shortMessage).toBe(`Only the account that posted this job (${ALICE}) can cancel it; you are connected as ${zeroAddress}.`);
    expect(e.fix).toBe("Switch your wallet to the requester's account and try again.");
  });

  it("tells how long is left when a claim comes before the deadline", () => {
    const e = explainMarketError(CLAIM, reverted(CLAIM, "DeadlineNotReached", [7n, 1_000n, 940n]));
    expect(e.shortMessage).toBe("The job's current deadline has not passed yet (60 s to go by the chain's clock).");
  });

  it("says a settled job has nothing to claim", () => {
    expect(explainMarketError(CLAIM, reverted(CLAIM, "JobTerminal", [7n, 8])).shortMessage).toBe("There is nothing left to claim: the job is already expired unfilled.");
  });

  it("says there is nothing to withdraw", () => {
    expect(explainMarketError(WITHDRAW, reverted(WITHDRAW, "NothingToWithdraw", [ALICE])).shortMessage).toBe("Nothing is credited to this account in the market.");
  });

  it("keeps the client library's explanation for other errors", () => {
    const e = explainMarketError(CLAIM, reverted(CLAIM, "ReentrancyGuardReentrantCall", []));
    expect(e).not.toBeInstanceOf(MarketActionError);
    expect(e.shortMessage).toBe("Claiming the job was reverted by the contract: ReentrancyGuardReentrantCall().");
  });
});

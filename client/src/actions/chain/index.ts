// The chain half of the actions: each takes a MarketChain (any viem public and wallet client, so
// wagmi's work, plus the market and token addresses) and nothing of the content network, so the
// web app, test harnesses and daemons post, cancel, claim and withdraw through the same code.
export { cancelJob, type CancelJobErrorType, type CancelJobParameters, type CancelJobReturnType } from "./cancelJob.ts";
export { claim, type ClaimErrorType, type ClaimParameters, type ClaimReturnType } from "./claim.ts";
export {
  checkJobOffer,
  DEFAULT_BID_WINDOW_S,
  DEFAULT_COMMIT_WINDOW_S,
  DEFAULT_REVEAL_WINDOW_S,
  escrowFor,
  jobParamsOf,
  readEscrowTerms,
  requireBalance,
  type EscrowTerms,
  type JobOffer,
  type JobParams,
  type PostableJob,
} from "./offer.ts";
export { GAS_HEADROOM, POST_GAS_HEADROOM, RECEIPT_TIMEOUT_MS, signerOf, type MarketChain, type Signer, type TransactionProgress } from "./marketChain.ts";
export { postJob, type Payment, type PostJobErrorType, type PostJobParameters, type PostJobProgress, type PostJobReturnType } from "./postJob.ts";
export { MAX_JOBS_PER_SUBMIT, postJobs, type PostJobsErrorType, type PostJobsItem, type PostJobsParameters, type PostJobsReturnType } from "./postJobs.ts";
export {
  PERMIT_VALIDITY_S,
  permitArgument,
  permitNoncesAbi,
  permitTypedData,
  signPermit,
  supportsPermit,
  type PermitArgument,
  type PermitRequest,
  type SignPermitErrorType,
  type SignPermitParameters,
  type SignPermitReturnType,
} from "./permit.ts";
export { withdraw, type WithdrawErrorType, type WithdrawParameters, type WithdrawReturnType } from "./withdraw.ts";
export { formatAmount, getTokenInfo, parseAmount, type TokenInfo } from "../internal/token.ts";
export type { Exclusive } from "./escrowTurn.ts";
export { AccountRequiredError, InsufficientBalanceError, InvalidAmountError, InvalidJobParametersError, TransactionRevertedError } from "../errors.ts";
// The contract's bounds and enums, generated from its Solidity beside the ABI.
export * from "../../generated/limits.ts";
export * from "../../generated/enums.ts";

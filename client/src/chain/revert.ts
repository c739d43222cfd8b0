import { BaseError as ViemBaseError, ContractFunctionRevertedError, decodeAbiParameters, decodeErrorResult, toFunctionSelector, type AbiParameter, type Hex } from "viem";
import { BaseError } from "../errors.ts";
import { jobMarketAbi } from "../generated/abi.ts";

/** What to do about each custom error of the JobMarket (contracts/interfaces/IJobMarket.sol). */
const FIXES: Record<string, string> = {
  InvalidCid: "Pass a binary CIDv1 (raw or dag-pb, sha2-256) as the content layer produces it.",
  ReplicasOutOfRange: "Ask for between 1 and 16 replicas.",
  QuorumOutOfRange: "Pick a quorum above half the replicas and at most the replicas (e.g. 2 of 3).",
  MaxPriceOutOfRange: "Offer a positive maximum price below 2^80 token units.",
  BidWindowTooLong: "Shorten the bid window (0 awards the job as soon as enough bids are in).",
  CommitWindowOutOfRange: "Pick a commit window within the bounds shown.",
  RevealWindowOutOfRange: "Pick a reveal window within the bounds shown.",
  MinReputationOutOfRange: "Minimum reputation is in basis points, 0 to 10000.",
  PermitFailed: "The permit was rejected and the allowance is too small: sign a new permit, or approve the escrow first.",
  JobNotFound: "Check the job id; a finished job's record may have been reused, its history is in the events.",
  WrongJobState: "The job is not in the phase this action needs; read its state (`getJob`).",
  JobTerminal: "The job is already settled; nothing more can happen to it.",
  NotRequester: "Only the requester that posted the job can do this.",
  BiddingClosed: "The bid deadline passed; bid on another job.",
  DeadlineNotReached: "Wait until the phase deadline has passed, then try again.",
  DeadlinePassed: "The phase deadline passed; the job moves on with `claim`.",
  BidPriceOutOfRange: "Bid a positive price no higher than the job's maximum price.",
  BidNotCompetitive: "The best bids are in and yours does not beat the worst of them: bid lower or skip this job.",
  AlreadyBid: "You already bid on this job.",
  NotRegistered: "Register as a provider first (`registerProvider`).",
  AlreadyRegistered: "This address is registered already; use update instead.",
  StakeBelowMinimum: "Stake at least the minimum (`stake`).",
  InsufficientFreeStake: "Stake more, or wait for running jobs to release their collateral.",
  ReputationTooLow: "This job asks for a higher reputation than yours; bid on jobs with a lower minimum.",
  NotAReplica: "Only the providers awarded this job can commit or reveal.",
  AlreadyCommitted: "This provider has committed already.",
  NotCommitted: "Commit before revealing.",
  AlreadyRevealed: "This provider has revealed already.",
  CommitmentMismatch: "The result digest and salt do not match the commitment; reveal what was committed.",
  TooFewCommits: "Too few winners committed; `claim` fails the job and refunds the requester.",
  ZeroAmount: "Pass an amount above zero.",
  AmountTooLarge: "Pass a smaller amount.",
  UnstakeExceedsFree: "Only free stake can be unstaked; wait until locked collateral is released.",
  UnbondingNotFinished: "Wait for the unbonding delay to pass, then withdraw.",
  NothingToWithdraw: "Nothing is credited to this account yet.",
  PeerIdLengthOutOfRange: "Pass the binary libp2p peer id (at most 64 bytes).",
  TooManyMultiaddrs: "Register at most 8 addresses.",
  MultiaddrTooLong: "Shorten the address.",
  AskPriceTooLarge: "Ask a smaller price.",
  ERC20InsufficientBalance: "The account does not hold enough of the token; fund it first.",
  ERC20InsufficientAllowance: "Approve the market to move the amount first (the SDK does this for you).",
  ERC2612InvalidSigner: "The permit signature does not match the owner; sign it with the paying account.",
  ERC2612ExpiredSignature: "The permit expired; sign a new one.",
  SafeERC20FailedOperation: "The token refused the transfer; check balances and allowances.",
};

const stringify = (v: unknown): string => (typeof v === "bigint" ? v.toString() : typeof v === "object" ? JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x)) : String(v));

/** A transaction or call the JobMarket reverted, with the custom error's name and arguments. */
export class ContractRevertedError extends BaseError {
  override name = "ContractRevertedError";
  readonly errorName: string;
  readonly args: readonly unknown[];
  constructor(action: string, errorName: string, args: readonly unknown[], cause: unknown) {
    super(`${action} was reverted by the contract: ${errorName}(${args.map(stringify).join(", ")}).`, {
      fix: FIXES[errorName] ?? "See docs/PROTOCOL.md for when the contract raises this error.",
      cause,
    });
    this.errorName = errorName;
    this.args = args;
  }
}

/** The chain could not be reached or refused the request for another reason than a revert. */
export class ChainRequestError extends BaseError {
  override name = "ChainRequestError";
  constructor(action: string, cause: unknown) {
    const msg = cause instanceof ViemBaseError ? cause.shortMessage : (cause as Error)?.message ?? String(cause);
    super(`${action} failed: ${msg}`, {
      fix: "Check that the RPC URL answers and the account has gas; then try again.",
      cause,
    });
  }
}

/** Turns whatever viem threw for `action` into an Accord error that says what to do. */
export function explainChainError(action: string, err: unknown): BaseError {
  if (err instanceof BaseError) return err;
  if (err instanceof ViemBaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted?.data?.errorName) return new ContractRevertedError(action, reverted.data.errorName, reverted.data.args ?? [], err);
    if (reverted?.reason) return new ContractRevertedError(action, reverted.reason, [], err);
    // A raw eth_estimateGas (no ABI at hand, as the provider's sender sends) leaves the revert
    // undecoded; without this a refusal like BidNotCompetitive looked like an outage and was retried.
    const raw = revertData(err);
    const decoded = raw && decodeRevert(action, raw, err);
    if (decoded) return decoded;
  }
  return new ChainRequestError(action, err);
}

/** Revert bytes as the market's custom error, or undefined when they are not one of its errors. */
export function decodeRevert(action: string, data: Hex, cause?: unknown): ContractRevertedError | undefined {
  const known = MARKET_ERRORS.get(data.slice(0, 10).toLowerCase());
  try {
    if (known) return new ContractRevertedError(action, known.name, decodeAbiParameters(known.inputs, `0x${data.slice(10)}`), cause);
  } catch {
    // malformed arguments: viem's decoder has the last word
  }
  try {
    const decoded = decodeErrorResult({ abi: jobMarketAbi, data });
    return new ContractRevertedError(action, decoded.errorName, decoded.args ?? [], cause);
  } catch {
    return undefined;
  }
}

/** decodeRevert, or the raw bytes under "Reverted" when they name no error the market has. */
export function revertedWith(action: string, data: Hex, cause?: unknown): ContractRevertedError {
  return decodeRevert(action, data, cause) ?? new ContractRevertedError(action, "Reverted", [data], cause);
}

/**
 * The market's custom errors by selector, hashed once. viem's decodeErrorResult hashes the
 * signature of every error in the ABI (49) to find the one, ~0.3 ms per revert, and a losing
 * bidder's refused batch items came to ~1 % of a daemon's CPU.
 */
type MarketError = { type: "error"; name: string; inputs: readonly AbiParameter[] };
const MARKET_ERRORS = new Map<string, MarketError>(
  // viem hashes an error's signature as a function's
  (jobMarketAbi as readonly { type: string }[]).filter((x): x is MarketError => x.type === "error").map((e) => [toFunctionSelector(e as never), e]),
);

/** The revert bytes a node attached to an error (`data`, or `data.data` as Hardhat and geth send them). */
function revertData(err: ViemBaseError): Hex | undefined {
  let found: Hex | undefined;
  err.walk((e) => {
    const data = (e as { data?: unknown }).data;
    const hex = typeof data === "string" ? data : typeof (data as { data?: unknown })?.data === "string" ? (data as { data: string }).data : undefined;
    if (hex && /^0x[0-9a-fA-F]{8,}$/.test(hex)) found = hex as Hex;
    return found !== undefined;
  });
  return found;
}

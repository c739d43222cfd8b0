import type { DeclineReason } from "../declineReasons.ts";
import { BaseError } from "../errors.ts";
// Trust checks a request's k and m too, below the actions, so the error lives with the tree's root.
export { InvalidJobParametersError } from "../errors.ts";
import type { JobStateName } from "../chain/constants.ts";

/** A transaction or signature was asked of a client without an account to sign with. */
export class AccountRequiredError extends BaseError {
  override name = "AccountRequiredError";
  constructor(action: string) {
    super(`${action} needs an account to sign with, and this client has none.`, {
      fix: "Give the client an account: `account` in createAccordClient, or a `walletClient` with an account for the chain actions.",
    });
  }
}

/** No JobPosted event has this id: it was never issued on this deployment. */
export class JobNotFoundError extends BaseError {
  override name = "JobNotFoundError";
  readonly jobId: bigint;
  constructor(jobId: bigint, market: string) {
    super(`Job ${jobId} was never posted to the JobMarket at ${market}.`, {
      fix: "Check the job id and that you are on the right chain and deployment (`listJobs` lists your jobs).",
    });
    this.jobId = jobId;
  }
}

/** An amount the user typed that is not a token amount. */
export class InvalidAmountError extends BaseError {
  override name = "InvalidAmountError";
  constructor(value: string, decimals: number, reason: string) {
    super(`"${value}" is not a token amount: ${reason}.`, {
      fix: `Write a positive decimal number of tokens with at most ${decimals} decimals, e.g. 0.5 for half a token.`,
    });
  }
}

export class InsufficientBalanceError extends BaseError {
  override name = "InsufficientBalanceError";
  readonly needed: bigint;
  readonly balance: bigint;
  constructor(p: { needed: string; balance: string; symbol: string; account: string; neededUnits: bigint; balanceUnits: bigint }) {
    super(`The escrow is ${p.needed} ${p.symbol}, but ${p.account} holds only ${p.balance} ${p.symbol}.`, {
      fix: "Fund the account with the token, or lower `maxPrice` or `replicas`.",
    });
    this.needed = p.neededUnits;
    this.balance = p.balanceUnits;
  }
}

/** A transaction was mined and reverted (the pre-flight estimate passed but the state moved on). */
export class TransactionRevertedError extends BaseError {
  override name = "TransactionRevertedError";
  readonly transactionHash: string;
  constructor(action: string, hash: string) {
    super(`${action}: transaction ${hash} was mined but reverted.`, {
      fix: "The job's state changed between the check and the transaction; read it again (`getJob`) and try again if the action still applies.",
    });
    this.transactionHash = hash;
  }
}

/** What the chain and the network say about why nobody bid. */
export type NoBidsReason = {
  code:
    | "no-providers"
    | "reputation-too-low"
    | "stake-too-low"
    | "no-capacity"
    | "price-below-ask"
    | "unreachable"
    | "declined"
    | "eligible-but-silent";
  message: string;
  providers: string[];
  /** For "declined": the provider's own structured reasons (DECLINES_PROTOCOL). */
  declines?: readonly DeclineReason[];
};

export type NoBidsDiagnosis = {
  jobId: bigint;
  registered: number;
  /** Providers that met every condition the chain can check. */
  eligible: string[];
  reasons: NoBidsReason[];
};

/**
 * What the providers' own reasons (DECLINES_PROTOCOL) ask of the requester: the shortest
 * commit window one of them said it needs, or else the cheapest price one of them asks.
 */
function declinesFix(diagnosis: NoBidsDiagnosis): string | undefined {
  const told = diagnosis.reasons.flatMap((r) => (r.code === "declined" ? (r.declines ?? []) : []));
  const needs = told.flatMap((d) => (d.code === "window" ? [d.needSeconds] : [])).sort((a, b) => a - b);
  const prices = told.flatMap((d) => (d.code === "price" ? [BigInt(d.price)] : [])).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (needs.length && needs.length >= prices.length)
    return `Submit again with \`commitWindow\` ${needs[0]} or more (seconds: the providers above said what they need); the escrow was credited back (\`withdraw\`).`;
  if (prices.length) return `Submit again with a higher \`maxPrice\`: the cheapest provider above asks ${prices[0]} of the token's smallest units per replica; the escrow was credited back (\`withdraw\`).`;
  return undefined;
}

/** Fewer bids than the quorum arrived before the bid deadline: the job expired and was refunded. */
export class NoBidsError extends BaseError {
  override name = "NoBidsError";
  readonly jobId: bigint;
  readonly diagnosis: NoBidsDiagnosis;
  readonly bids: number;
  constructor(jobId: bigint, bids: number, quorum: number, diagnosis: NoBidsDiagnosis) {
    const fix = declinesFix(diagnosis) ?? (diagnosis.reasons.some((r) => r.code === "price-below-ask")
      ? "Raise `maxPrice` above the providers' asks shown above (`listProviders` lists them), then submit again."
      : diagnosis.reasons.some((r) => r.code === "reputation-too-low")
        ? "Lower `minReputation`, or wait until more providers have a track record."
        : diagnosis.reasons.some((r) => r.code === "no-providers")
          ? "No provider is registered on this deployment: run a provider node on it (registered and staked), or use another deployment."
          : "Submit again later or with a longer `bidWindow`; the escrow was credited back (`withdraw`).");
    super(`Job ${jobId} got ${bids} bid(s) but needed ${quorum}: it expired and its escrow was credited back.`, {
      metaMessages: diagnosis.reasons.map((r) => `- ${r.message}`),
      fix,
    });
    this.jobId = jobId;
    this.diagnosis = diagnosis;
    this.bids = bids;
  }
}

/** The job ended without a result the quorum agreed on. */
export class JobNotSucceededError extends BaseError {
  override name = "JobNotSucceededError";
  readonly jobId: bigint;
  readonly state: JobStateName;
  constructor(jobId: bigint, state: JobStateName, details?: string) {
    const why: Record<string, string> = {
      NoConsensus: "the providers revealed results that differ, and none reached the quorum",
      Failed: "fewer providers than the quorum committed a result before the commit deadline",
      Cancelled: "it was cancelled by the requester",
      Expired: "too few providers bid before the bid deadline",
    };
    super(`Job ${jobId} ended ${state}: ${why[state] ?? "it did not succeed"}.`, {
      details,
      fix:
        state === "NoConsensus"
          ? "Check that the program is deterministic (`dryRun` it twice and compare the result CIDs), then submit again; the escrow was credited back (`withdraw`)."
          : "The escrow was credited back to you (`withdraw`); submit the job again.",
    });
    this.jobId = jobId;
    this.state = state;
  }
}

export type ResultAttempt = { provider: string; error: string };

/** No provider that revealed the consensus served a sealed result that decrypts to it. */
export class ResultUnavailableError extends BaseError {
  override name = "ResultUnavailableError";
  readonly jobId: bigint;
  readonly attempts: ResultAttempt[];
  constructor(jobId: bigint, attempts: ResultAttempt[], cause?: unknown) {
    super(`No agreeing provider served a valid result for job ${jobId}.`, {
      metaMessages: attempts.map((a) => `- ${a.provider}: ${a.error}`),
      fix: "Ask again later (`waitForResult`; providers may be offline); a result whose CID differs from the consensus is always refused.",
      cause,
    });
    this.jobId = jobId;
    this.attempts = attempts;
  }
}

/** The caller's signal fired, or the wait outlived its timeout. */
export class WaitTimeoutError extends BaseError {
  override name = "WaitTimeoutError";
  constructor(what: string, timeoutMs: number) {
    super(`Gave up waiting for ${what} after ${timeoutMs} ms.`, {
      fix: "The job keeps going on-chain: follow it with `watchJob` or fetch its result later with `waitForResult`.",
    });
  }
}

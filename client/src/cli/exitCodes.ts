import { ContractRevertedError, ChainRequestError } from "../chain/revert.ts";
import { BaseError } from "../errors.ts";
import { InvalidManifestError } from "../manifest/errors.ts";
import { InvalidModuleError } from "../sandbox/errors.ts";
import { ResultMismatchError, SealedResultTamperedError } from "../seal/errors.ts";
import {
  InsufficientBalanceError,
  InvalidAmountError,
  InvalidJobParametersError,
  JobNotFoundError,
  JobNotSucceededError,
  NoBidsError,
  ResultUnavailableError,
  TransactionRevertedError,
  WaitTimeoutError,
} from "../actions/errors.ts";
import { AccountRequiredError } from "../client.ts";
import { CliConfigError } from "./config.ts";

/** What `accord` exits with, so scripts can tell outcomes apart without parsing text. */
export const EXIT = {
  OK: 0,
  /** Anything not foreseen below. */
  ERROR: 1,
  /** Bad flags, files or configuration: nothing was sent. */
  USAGE: 2,
  /** The chain or the network could not be reached. */
  UNAVAILABLE: 3,
  /** The contract refused the transaction (or the balance cannot cover it). */
  REFUSED: 4,
  /** The job expired without enough bids. */
  NO_BIDS: 5,
  /** The job ended without consensus, failed, or was cancelled. */
  JOB_FAILED: 6,
  /** No agreeing provider served a result that matches the consensus. */
  RESULT_UNAVAILABLE: 7,
  /** The wait timed out; the job goes on. */
  TIMEOUT: 8,
  /** Interrupted (Ctrl-C); the job goes on. */
  INTERRUPTED: 130,
} as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof NoBidsError) return EXIT.NO_BIDS;
  if (err instanceof JobNotSucceededError) return EXIT.JOB_FAILED;
  if (err instanceof ResultUnavailableError || err instanceof ResultMismatchError || err instanceof SealedResultTamperedError) return EXIT.RESULT_UNAVAILABLE;
  if (err instanceof WaitTimeoutError) return EXIT.TIMEOUT;
  if (err instanceof ContractRevertedError || err instanceof InsufficientBalanceError || err instanceof TransactionRevertedError) return EXIT.REFUSED;
  if (err instanceof ChainRequestError) return EXIT.UNAVAILABLE;
  if (
    err instanceof CliConfigError ||
    err instanceof InvalidAmountError ||
    err instanceof InvalidJobParametersError ||
    err instanceof InvalidManifestError ||
    err instanceof InvalidModuleError ||
    err instanceof AccountRequiredError ||
    err instanceof JobNotFoundError
  )
    return EXIT.USAGE;
  if (err instanceof BaseError) return EXIT.ERROR;
  return EXIT.ERROR;
}

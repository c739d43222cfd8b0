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
import { CliConfigError } from "./errors.ts";
import { ConfigError } from "../config/errors.ts";
import { InvalidTaskSpecError, TasksFailedError, TaskStateError } from "../tasks/errors.ts";
import { ConfidenceUnreachableError, InvalidConfidenceError } from "../trust/errors.ts";
import { EXIT } from "./exit.ts";

export { EXIT };

export function exitCodeFor(err: unknown): number {
  if (err instanceof NoBidsError) return EXIT.NO_BIDS;
  if (err instanceof JobNotSucceededError || err instanceof TasksFailedError) return EXIT.JOB_FAILED;
  if (err instanceof ResultUnavailableError || err instanceof ResultMismatchError || err instanceof SealedResultTamperedError) return EXIT.RESULT_UNAVAILABLE;
  if (err instanceof WaitTimeoutError) return EXIT.TIMEOUT;
  if (err instanceof ContractRevertedError || err instanceof InsufficientBalanceError || err instanceof TransactionRevertedError) return EXIT.REFUSED;
  if (err instanceof ChainRequestError) return EXIT.UNAVAILABLE;
  if (
    err instanceof CliConfigError ||
    err instanceof ConfigError ||
    err instanceof InvalidTaskSpecError ||
    err instanceof TaskStateError ||
    err instanceof InvalidAmountError ||
    err instanceof InvalidJobParametersError ||
    err instanceof InvalidConfidenceError ||
    err instanceof ConfidenceUnreachableError ||
    err instanceof InvalidManifestError ||
    err instanceof InvalidModuleError ||
    err instanceof AccountRequiredError ||
    err instanceof JobNotFoundError
  )
    return EXIT.USAGE;
  if (err instanceof BaseError) return EXIT.ERROR;
  return EXIT.ERROR;
}

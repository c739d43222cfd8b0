import { BaseError } from "../errors.ts";

/** A bad flag, file or setting of the CLI: nothing was sent. Here, not in config.ts, so that checking an argument loads nothing else. */
export class CliConfigError extends BaseError {
  override name = "CliConfigError";
  constructor(problem: string, fix: string, cause?: unknown) {
    super(problem, { fix, cause });
  }
}

/**
 * The one error tree of Accord. Every error a user can meet is a subclass of `BaseError`
 * named for what went wrong, with a short message, details, and what to do next.
 * Modelled on viem's BaseError so errors from viem and from Accord read the same way.
 */
export type BaseErrorParameters = {
  /**
   * What to do about it, in one sentence, in the library's terms: parameters and actions in
   * backticks as the API spells them (`maxPrice`, `withdraw`), so that each front end can word
   * them for its own user (the CLI's flags and commands: cli/errors.ts).
   */
  fix?: string;
  details?: string;
  cause?: unknown;
  metaMessages?: string[];
};

export class BaseError extends Error {
  override name = "AccordError";
  readonly shortMessage: string;
  readonly details?: string;
  readonly fix?: string;
  readonly metaMessages?: string[];

  constructor(shortMessage: string, params: BaseErrorParameters = {}) {
    super(formatErrorMessage({ shortMessage, ...params }), params.cause === undefined ? undefined : { cause: params.cause });
    this.shortMessage = shortMessage;
    this.details = params.details;
    this.fix = params.fix;
    this.metaMessages = params.metaMessages;
  }

  /** Walks the cause chain and returns the first error matching `fn`, if any. */
  walk(fn: (err: unknown) => boolean): unknown {
    let err: unknown = this;
    while (err) {
      if (fn(err)) return err;
      err = (err as { cause?: unknown }).cause;
    }
    return undefined;
  }
}

/** An error's whole text: the short message, then its meta messages, details and fix. */
export function formatErrorMessage(p: { shortMessage: string; metaMessages?: string[]; details?: string; fix?: string }): string {
  const lines = [p.shortMessage];
  if (p.metaMessages?.length) lines.push("", ...p.metaMessages);
  if (p.details) lines.push("", `Details: ${p.details}`);
  if (p.fix) lines.push(`What to do: ${p.fix}`);
  return lines.join("\n");
}

/** Parameters the contract would refuse, caught before any transaction is sent. */
export class InvalidJobParametersError extends BaseError {
  override name = "InvalidJobParametersError";
  readonly field: string;
  constructor(field: string, problem: string, fix: string) {
    super(`Invalid job parameter ${field}: ${problem}.`, { fix });
    this.field = field;
  }
}

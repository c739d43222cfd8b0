/**
 * The one error tree of Accord. Every error a user can meet is a subclass of `BaseError`
 * named for what went wrong, with a short message, details, and what to do next.
 * Modelled on viem's BaseError so errors from viem and from Accord read the same way.
 */
export type BaseErrorParameters = {
  /** What to do about it, in one sentence addressed to the user. */
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
    const lines = [shortMessage];
    if (params.metaMessages?.length) lines.push("", ...params.metaMessages);
    if (params.details) lines.push("", `Details: ${params.details}`);
    if (params.fix) lines.push(`What to do: ${params.fix}`);
    super(lines.join("\n"), params.cause === undefined ? undefined : { cause: params.cause });
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

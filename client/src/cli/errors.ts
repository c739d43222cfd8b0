import { BaseError, formatErrorMessage } from "../errors.ts";

/** A bad flag, file or setting of the CLI: nothing was sent. Here, not in config.ts, so that checking an argument loads nothing else. */
export class CliConfigError extends BaseError {
  override name = "CliConfigError";
  constructor(problem: string, fix: string, cause?: unknown) {
    super(problem, { fix, cause });
  }
}

/**
 * The library's fixes name parameters and actions in backticks as its API spells them; this is
 * how `accord`'s user says each: a flag (which then needs no backticks) or a command.
 */
const CLI_TERMS: Record<string, string> = {
  maxPrice: "--max-price",
  replicas: "--replicas",
  quorum: "--quorum",
  maxReplicas: "--max-replicas",
  confidence: "--confidence",
  adversaryShare: "--adversary-share",
  commitWindow: "--commit-window",
  bidWindow: "--bid-window",
  minReputation: "--min-reputation",
  withdraw: "`accord withdraw`",
  claim: "`accord job claim <id>`",
  listJobs: "`accord job list`",
  getJob: "`accord job status <id>`",
  watchJob: "`accord job status <id> --watch`",
  waitForResult: "`accord job result <id>`",
  dryRun: "`accord job dry-run`",
  listProviders: "`accord providers`",
};

/** Fixes the CLI words whole, where the library's speaks of client options that the CLI sets its own way. */
const CLI_FIXES: Record<string, string> = {
  AccountRequiredError: "Give `accord` a key: ACCORD_PRIVATE_KEY, --key-file / ACCORD_KEY_FILE, or `keyFile` in the config file.",
  DeploymentNotFoundError: "Start the local chain and its market (`npm start`), deploy one to this chain (`npm run deploy`), or name the market with --market / ACCORD_MARKET.",
};

/** `err`'s fix as `accord` words it for its user; undefined when the error has none. */
export function cliFix(err: BaseError): string | undefined {
  const whole = CLI_FIXES[err.name];
  if (whole) return whole;
  return err.fix?.replace(/`([A-Za-z]+)`/g, (term, name: string) => CLI_TERMS[name] ?? term);
}

/** An Accord error's whole text with the CLI's wording of its fix. */
export function cliErrorText(err: BaseError): string {
  return formatErrorMessage({ shortMessage: err.shortMessage, metaMessages: err.metaMessages, details: err.details, fix: cliFix(err) });
}

import { BaseError } from "@accord/client/errors";

export { BaseError };
/** The config file as a whole cannot be used: the library's rule, shared with the CLI. */
export { ConfigFileError } from "@accord/client/config";

/** A setting is missing or has a value the node cannot use. */
export class InvalidConfigError extends BaseError {
  override name = "InvalidConfigError";
  constructor(setting: string, problem: string, fix?: string) {
    super(`The setting "${setting}" ${problem}.`, {
      fix: fix ?? `Set ${setting} in the config file, as an ACCORD_* environment variable, or as a flag (see \`accord-provider --help\`).`,
    });
  }
}

/** No key is configured, or the key file is unreadable or not a private key. */
export class KeyFileError extends BaseError {
  override name = "KeyFileError";
  constructor(path: string, reason: string, fix?: string) {
    super(`The provider key at ${path} ${reason}.`, {
      fix: fix ?? "Run `accord-provider init` to create a key, or pass --key-file with the path of an existing one.",
    });
  }
}

/** `init` would overwrite an existing key. */
export class KeyExistsError extends BaseError {
  override name = "KeyExistsError";
  constructor(path: string) {
    super(`A provider key already exists at ${path}; init never overwrites a key (it may hold stake and earnings).`, {
      fix: "Use the existing key, or choose another --data-dir.",
    });
  }
}

/** An amount on the command line is not a number of tokens. */
export class InvalidAmountError extends BaseError {
  override name = "InvalidAmountError";
  constructor(value: string, reason: string) {
    super(`"${value}" is not an amount: ${reason}.`, {
      fix: "Pass a positive number of tokens, e.g. 100 or 12.5 (in whole tokens; the token's decimals are applied).",
    });
  }
}

/** Another process already runs a provider on this data directory. */
export class JournalLockedError extends BaseError {
  override name = "JournalLockedError";
  constructor(path: string, pid: number) {
    super(`Another provider (pid ${pid}) is already running on ${path}.`, {
      fix: "Stop it first, or start this one with another --data-dir (and another key).",
    });
  }
}

/** The provider is not registered on the market, so it cannot bid. */
export class NotRegisteredError extends BaseError {
  override name = "NotRegisteredError";
  constructor(address: string) {
    super(`The provider ${address} is not registered on the JobMarket.`, {
      fix: "Run `accord-provider register`, then `accord-provider stake <amount>`.",
    });
  }
}

/** A run repeated to seal a committed result (after a restart) gave another result than the one committed. */
export class ResultNotReproducedError extends BaseError {
  override name = "ResultNotReproducedError";
  constructor(jobId: bigint, committed: string, got: string) {
    super(`Job ${jobId}: the run repeated after a restart gave result ${got}, not the committed ${committed}; the node cannot seal what it committed to.`, {
      fix: "The sandbox should be deterministic: report this with the job's manifest. The replica will be slashed for a missed reveal.",
    });
  }
}

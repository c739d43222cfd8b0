import { BaseError } from "../errors.ts";

/**
 * Where a setting's value came from. Each front end spells a `flag` its own way (`--rpc-url`,
 * or a form field), so the library names it by the setting alone and leaves the spelling to
 * them (`settingLabel`).
 */
export type SettingSource = "flag" | "env" | "file" | "default";

/** Where exactly: the variable for `env`, the file for `file`. */
export type SettingOrigin = { source: SettingSource; env?: string; file?: string };

/** How a front end spells a setting given on its command line; undefined keeps the library's `name`. */
export type FlagSpelling = (setting: string) => string | undefined;

/** "ACCORD_RPC_URL", "`rpcUrl` in /x/config.json", "`rpcUrl`" (a flag, in the library's terms) or the front end's flag. */
export function settingLabel(setting: string, origin: SettingOrigin, flag?: FlagSpelling): string {
  if (origin.source === "env" && origin.env) return origin.env;
  if (origin.source === "file") return `\`${setting}\` in ${origin.file ?? "the config file"}`;
  if (origin.source === "flag") return flag?.(setting) ?? `\`${setting}\``;
  return `the default \`${setting}\``;
}

/** Every configuration error: nothing was started or sent. Front ends word these for their users (their flags). */
export class ConfigError extends BaseError {
  override name = "ConfigError";
}

/** A setting has a value its schema refuses. */
export class InvalidSettingError extends ConfigError {
  override name = "InvalidSettingError";
  readonly setting: string;
  readonly origin: SettingOrigin;
  /** "must be an http(s) or ws(s) URL, not \"x\"". */
  readonly problem: string;
  readonly example?: string;
  constructor(p: { setting: string; origin: SettingOrigin; problem: string; example?: string }) {
    const { shortMessage, fix } = invalidSettingText(p);
    super(shortMessage, { fix });
    this.setting = p.setting;
    this.origin = p.origin;
    this.problem = p.problem;
    this.example = p.example;
  }

  /** The message and fix with a front end's spelling of its flags. */
  wordedFor(flag: FlagSpelling): { shortMessage: string; fix: string } {
    return invalidSettingText(this, flag);
  }
}

function invalidSettingText(p: { setting: string; origin: SettingOrigin; problem: string; example?: string }, flag?: FlagSpelling) {
  const label = settingLabel(p.setting, p.origin, flag);
  const example = p.example ? `, e.g. ${p.example}` : "";
  const fix =
    p.origin.source === "file"
      ? `Correct ${label}${example}, or remove it to use the default.`
      : p.origin.source === "env"
        ? `Set ${label} to a valid value${example}, or unset it.`
        : `Give ${label} a valid value${example}.`;
  return { shortMessage: `${label} ${p.problem}.`, fix };
}

/** A setting that has no value where one is needed. */
export class MissingSettingError extends ConfigError {
  override name = "MissingSettingError";
  readonly setting: string;
  readonly env?: string;
  readonly example?: string;
  constructor(p: { setting: string; env?: string; example?: string; why?: string }) {
    const { shortMessage, fix } = missingSettingText(p);
    super(shortMessage, { fix });
    this.setting = p.setting;
    this.env = p.env;
    this.example = p.example;
  }

  wordedFor(flag: FlagSpelling): { shortMessage: string; fix: string } {
    return missingSettingText(this, flag);
  }
}

function missingSettingText(p: { setting: string; env?: string; example?: string; why?: string }, flag?: FlagSpelling) {
  const given = flag?.(p.setting) ?? `\`${p.setting}\``;
  const value = p.example ? ` ${p.example}` : "";
  const where = [`${given}${value}`, p.env && `set ${p.env}`, `put \`${p.setting}\` in the config file`].filter(Boolean);
  return {
    shortMessage: `The setting \`${p.setting}\` is not set${p.why ? `: ${p.why}` : ""}.`,
    fix: `Pass ${where.slice(0, -1).join(", ")}, or ${where.at(-1)}.`,
  };
}

/** A config file that cannot be used as a whole: not JSON, not an object, unknown settings, or a key in it. */
export class ConfigFileError extends ConfigError {
  override name = "ConfigFileError";
  readonly path: string;
  constructor(path: string, reason: string, p: { fix?: string; cause?: unknown } = {}) {
    super(`The config file ${path} could not be used: ${reason}.`, { fix: p.fix ?? "Fix the file (it is a JSON object of settings), or move it away to start from defaults.", cause: p.cause });
    this.path = path;
  }
}

/** A key or other secret on disk that cannot be used: missing, readable by others, or not what it should hold. */
export class SecretFileError extends ConfigError {
  override name = "SecretFileError";
  readonly path: string;
  constructor(path: string, what: string, reason: string, p: { fix?: string; cause?: unknown } = {}) {
    super(`The ${what} ${path} ${reason}.`, { fix: p.fix, cause: p.cause });
    this.path = path;
  }
}

/** A secret file that is not there (a front end may then create it, or say how to). */
export class SecretFileMissingError extends SecretFileError {
  override name = "SecretFileMissingError";
  constructor(path: string, what: string) {
    super(path, what, "does not exist", { fix: "Check the path, or create the file (owner-only, mode 0600)." });
  }
}

/** Creating a secret file where one exists: it is never overwritten (it may be the only copy of a key). */
export class SecretFileExistsError extends SecretFileError {
  override name = "SecretFileExistsError";
  constructor(path: string, what: string) {
    super(path, what, "already exists and is never overwritten (it may be the only copy of a key)", { fix: "Use the existing file, or choose another path." });
  }
}

/** A private key that is not one. The value is never repeated: even a mistyped key is a secret. */
export class InvalidPrivateKeyError extends ConfigError {
  override name = "InvalidPrivateKeyError";
  constructor(where: string) {
    super(`${where} does not hold a private key (32 bytes as 64 hex digits, 0x first or not).`, {
      fix: "Check the key where it is set; it is not printed here, since even a mistyped key is mostly the real one.",
    });
  }
}

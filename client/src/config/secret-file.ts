import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { SecretFileError, SecretFileExistsError, SecretFileMissingError } from "./errors.ts";

/** Owner-only: the file holds a key. */
export const SECRET_FILE_MODE = 0o600;

/**
 * Writes `text` to a new file at `path`, readable by its owner only, and never over an existing
 * file. It is written whole under a temporary name (created 0600, so no other user can open it in
 * between) and then linked into place, which fails if `path` exists: processes creating the same
 * file at once all end with the one the first of them made, and none reads a half-written file.
 */
export function createSecretFile(path: string, text: string, what = "secret file"): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, text, { mode: SECRET_FILE_MODE, flag: "wx" });
  try {
    // The umask may have narrowed the mode further, never widened it; make it exact.
    chmodSync(temporary, SECRET_FILE_MODE);
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new SecretFileExistsError(path, what);
    throw err;
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * A secret file's text, trimmed. Refused, as ssh refuses a private key, when its group or other
 * users can read or write it: a key others can read is no longer the owner's alone.
 */
export function readSecretFile(path: string, what = "secret file", p: { why?: string } = {}): string {
  if (!existsSync(path)) throw new SecretFileMissingError(path, what);
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077)
    throw new SecretFileError(path, what, `can be read by other users (mode ${mode.toString(8).padStart(3, "0")})`, {
      fix: `Run \`chmod 600 ${path}\`${p.why ? `: ${p.why}` : ""}, and if others may have read it, move what it guards to a new one.`,
    });
  try {
    return readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new SecretFileError(path, what, "cannot be read", { fix: "Check the path and that it is a file you own.", cause: err });
  }
}

import { existsSync, readFileSync } from "node:fs";
import { ConfigFileError } from "./errors.ts";

/**
 * A config file's settings: a JSON object whose keys are all in `known`. A missing file is no
 * settings. A private key is refused whatever the front end, since config files are shared, copied
 * and committed: keys live in a key file (`keyFile`), owner-only.
 */
export function readConfigFile(path: string, known: readonly string[]): Record<string, unknown> {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigFileError(path, `it is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ConfigFileError(path, "it does not hold a JSON object");
  if ("privateKey" in parsed)
    throw new ConfigFileError(path, "it holds a private key, and keys belong in a key file (owner-only), not in a config file that is shared and copied", {
      fix: "Move the key into a file of its own, readable by you only (`chmod 600` it), name that file with `keyFile`, and delete `privateKey` from the config file.",
    });
  const unknown = Object.keys(parsed).filter((k) => !known.includes(k));
  if (unknown.length)
    throw new ConfigFileError(path, `it has unknown setting(s) ${unknown.map((k) => JSON.stringify(k)).join(", ")}`, {
      fix: `Use only the known settings: ${known.join(", ")} (names are case-sensitive).`,
    });
  return parsed as Record<string, unknown>;
}

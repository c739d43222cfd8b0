import type { Hex } from "viem";
import { InvalidPrivateKeyError } from "./errors.ts";
import { readSecretFile } from "./secret-file.ts";

/** A secp256k1 private key from text (0x first or not), lowercased; `where` names its source in the error, the key never. */
export function parsePrivateKey(text: string, where: string): Hex {
  const hex = (text.startsWith("0x") ? text : `0x${text}`).toLowerCase();
  if (!/^0x[0-9a-f]{64}$/.test(hex)) throw new InvalidPrivateKeyError(where);
  return hex as Hex;
}

/** An account's key from its key file, under the secret-file rule: refused when others can read it. */
export function readKeyFile(path: string, p: { what?: string; why?: string } = {}): Hex {
  const what = p.what ?? "key file";
  return parsePrivateKey(readSecretFile(path, what, { why: p.why ?? "the key controls the account's funds" }), `The ${what} ${path}`);
}

import { existsSync } from "node:fs";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Address, Hex } from "viem";
import { createSecretFile, readKeyFile as readAccountKeyFile, SecretFileExistsError } from "@accord/client/config";
import { KeyExistsError } from "../errors.ts";

/**
 * Writes a fresh secp256k1 key to `path` by the library's secret-file rule: owner-only from the
 * moment it exists, written whole, and an existing key is never overwritten.
 */
export function createKeyFile(path: string, privateKey: Hex = generatePrivateKey()): Address {
  if (existsSync(path)) throw new KeyExistsError(path);
  const account = privateKeyToAccount(privateKey);
  try {
    createSecretFile(path, `${privateKey}\n`, "provider key");
  } catch (err) {
    // Another `init` on the same folder made it first.
    if (err instanceof SecretFileExistsError) throw new KeyExistsError(path);
    throw err;
  }
  return account.address;
}

/** Reads the key, refusing a file that others can read (as ssh does). */
export function readKeyFile(path: string): Hex {
  return readAccountKeyFile(path, { what: "provider key", why: "the key controls the provider's stake" });
}

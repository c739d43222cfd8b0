import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync, closeSync } from "node:fs";
import { dirname } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Address, Hex } from "viem";
import { KEY_FILE_MODE } from "../constants.ts";
import { KeyExistsError, KeyFileError } from "../errors.ts";

/**
 * Writes a fresh secp256k1 key to `path`, readable by its owner only. The file is created with
 * mode 0600 in the same call that creates it (O_EXCL), so no other user can open it in between,
 * and an existing key is never overwritten.
 */
export function createKeyFile(path: string, privateKey: Hex = generatePrivateKey()): Address {
  if (existsSync(path)) throw new KeyExistsError(path);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const account = privateKeyToAccount(privateKey);
  const fd = openSync(path, "wx", KEY_FILE_MODE);
  try {
    writeSync(fd, `${privateKey}\n`);
  } finally {
    closeSync(fd);
  }
  // The umask may have narrowed the mode further, never widened it; make it exact.
  chmodSync(path, KEY_FILE_MODE);
  return account.address;
}

/** Reads the key, refusing files that others can read (as ssh does). */
export function readKeyFile(path: string): Hex {
  if (!existsSync(path)) throw new KeyFileError(path, "does not exist");
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077)
    throw new KeyFileError(path, `can be read by other users (mode ${mode.toString(8)})`, `Run \`chmod 600 ${path}\`: the key controls the provider's stake.`);
  const text = readFileSync(path, "utf8").trim();
  return parsePrivateKey(text, path);
}

export function parsePrivateKey(text: string, where: string): Hex {
  const hex = (text.startsWith("0x") ? text : `0x${text}`).toLowerCase();
  // The key itself never appears in the message: it may be a typo of the real one.
  if (!/^0x[0-9a-f]{64}$/.test(hex)) throw new KeyFileError(where, "does not hold a private key (32 bytes as 64 hex digits)");
  return hex as Hex;
}

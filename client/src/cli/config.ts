import { createPrivateKey, createPublicKey } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, linkSync, unlinkSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { bytesToHex, getAddress, hexToBytes, isAddress, isHex, type Address, type Hex } from "viem";
import { z } from "zod";
import { generateResultKey, type ResultKeyPair } from "../seal/keys.ts";
import { CliConfigError } from "./errors.ts";

export { CliConfigError };

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";
export const CONFIG_FILE_NAME = "config.json";
export const RESULT_KEY_FILE_NAME = "result.key";
/** Owner-only: the file holds a secret. */
const SECRET_FILE_MODE = 0o600;

/** Flags every command takes; each also comes from the environment or the config file. */
export type GlobalFlags = {
  config?: string;
  rpcUrl?: string;
  chainId?: string;
  market?: string;
  keyFile?: string;
  dataDir?: string;
  json?: boolean;
};

const fileSchema = z.strictObject({
  rpcUrl: z.string().optional(),
  chainId: z.number().int().positive().optional(),
  jobMarket: z.string().optional(),
  token: z.string().optional(),
  startBlock: z.number().int().nonnegative().optional(),
  /** 0x-hex secp256k1 key. Prefer keyFile or ACCORD_PRIVATE_KEY; never put it in a shared file. */
  privateKey: z.string().optional(),
  keyFile: z.string().optional(),
  dataDir: z.string().optional(),
  resultKeyFile: z.string().optional(),
});
export type ConfigFile = z.infer<typeof fileSchema>;

export function configPath(flags: GlobalFlags, env = process.env): string {
  if (flags.config) return resolve(flags.config);
  if (env.ACCORD_CONFIG) return resolve(env.ACCORD_CONFIG);
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "accord", CONFIG_FILE_NAME);
}

export function readConfigFile(path: string): ConfigFile {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CliConfigError(`The config file ${path} is not valid JSON.`, "Fix the JSON syntax, or move the file away to start from defaults.", err);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliConfigError(`The config file ${path} has a bad field ${issue.path.join(".") || "(root)"}: ${issue.message}.`, `Allowed fields: ${Object.keys(fileSchema.shape).join(", ")}.`);
  }
  return parsed.data;
}

export type ResolvedConfig = {
  path: string;
  rpcUrl: string;
  chainId?: number;
  market?: Address;
  token?: Address;
  startBlock?: number;
  privateKey?: Hex;
  dataDir: string;
  resultKeyFile: string;
};

/** Flags over environment over config file over defaults. */
export function resolveConfig(flags: GlobalFlags, env = process.env): ResolvedConfig {
  const path = configPath(flags, env);
  const file = readConfigFile(path);
  const dir = dirname(path);
  const chainIdText = flags.chainId ?? env.ACCORD_CHAIN_ID;
  const chainId = chainIdText !== undefined ? Number(chainIdText) : file.chainId;
  if (chainId !== undefined && (!Number.isSafeInteger(chainId) || chainId <= 0))
    throw new CliConfigError(`Chain id "${chainIdText}" is not a positive integer.`, "Pass --chain-id 31337 (the local chain) or your chain's id.");
  const address = (value: string | undefined, what: string): Address | undefined => {
    if (value === undefined) return undefined;
    if (!isAddress(value)) throw new CliConfigError(`${what} "${value}" is not an address.`, `Pass ${what} as 0x followed by 40 hex digits.`);
    return getAddress(value);
  };
  const keyFile = flags.keyFile ?? env.ACCORD_KEY_FILE ?? file.keyFile;
  let privateKey = (env.ACCORD_PRIVATE_KEY || undefined) ?? file.privateKey;
  if (keyFile) privateKey = readKeyFile(resolve(dir, keyFile));
  if (privateKey !== undefined && !(isHex(privateKey) && privateKey.length === 66))
    // The value itself is never echoed: it is a secret even when malformed.
    throw new CliConfigError("The private key is not 0x followed by 64 hex digits.", "Check ACCORD_PRIVATE_KEY, the key file or `privateKey` in the config file.");
  return {
    path,
    rpcUrl: flags.rpcUrl ?? env.ACCORD_RPC_URL ?? file.rpcUrl ?? DEFAULT_RPC_URL,
    chainId,
    market: address(flags.market ?? env.ACCORD_MARKET ?? file.jobMarket, "the JobMarket address"),
    token: address(env.ACCORD_TOKEN ?? file.token, "the token address"),
    startBlock: file.startBlock,
    privateKey: privateKey as Hex | undefined,
    dataDir: resolve(dir, flags.dataDir ?? env.ACCORD_DATA_DIR ?? file.dataDir ?? "node"),
    resultKeyFile: resolve(dir, file.resultKeyFile ?? RESULT_KEY_FILE_NAME),
  };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new CliConfigError(`Cannot read the key file ${path}.`, "Check the path given by --key-file, ACCORD_KEY_FILE or `keyFile`.", err);
  }
}

/** PKCS #8 DER of an X25519 private key, up to the 32 key bytes (RFC 8410). */
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/**
 * The public half of an x25519 secret key, by Node's native X25519: the same bytes as the pure
 * JavaScript curve's getPublicKey (RFC 7748), without its first call's ~70 ms of set-up.
 */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secretKey]), format: "der", type: "pkcs8" });
  return new Uint8Array(Buffer.from(createPublicKey(privateKey).export({ format: "jwk" }).x!, "base64url"));
}

/**
 * The requester's x25519 result key, kept beside the config file (mode 0600) and created on
 * first use. Losing it means losing access to results sealed to it.
 */
export function loadOrCreateResultKey(path: string): ResultKeyPair {
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) chmodSync(path, SECRET_FILE_MODE);
    const text = readFileSync(path, "utf8").trim();
    if (!/^0x[0-9a-f]{64}$/i.test(text)) throw new CliConfigError(`The result key file ${path} is damaged.`, "Restore it from a backup; results sealed to the old key cannot be opened with a new one.");
    const secretKey = hexToBytes(text as Hex);
    const publicKey = x25519PublicKey(secretKey);
    return { secretKey, publicKey, publicKeyHex: bytesToHex(publicKey) };
  }
  const key = generateResultKey();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Written whole under a temporary name, then linked into place (fails if the file exists): CLI
  // processes started at once on a fresh folder all use the one key the first of them made, and
  // none reads a half-written file (a plain exclusive create failed the others with EEXIST).
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${bytesToHex(key.secretKey)}\n`, { mode: SECRET_FILE_MODE });
  try {
    linkSync(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return loadOrCreateResultKey(path);
  } finally {
    unlinkSync(temporary);
  }
  return key;
}

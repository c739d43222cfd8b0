import { createPrivateKey, createPublicKey } from "node:crypto";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { bytesToHex, hexToBytes, type Address, type Hex } from "viem";
import {
  createSecretFile,
  defineSettings,
  InvalidSettingError,
  parsePrivateKey,
  readConfigFile,
  readKeyFile,
  readSecretFile,
  resolveSettings,
  SecretFileExistsError,
  SecretFileMissingError,
  settingKinds,
  SHARED_SETTINGS,
  type SettingSource,
} from "../config/index.ts";
import { generateResultKey, type ResultKeyPair } from "../seal/seal.ts";
import { CliConfigError } from "./errors.ts";

export { CliConfigError };

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";
export const CONFIG_FILE_NAME = "config.json";
export const RESULT_KEY_FILE_NAME = "result.key";

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

const { market, ...shared } = SHARED_SETTINGS;

/** The CLI's settings: the shared ones (the market under its config-file name `jobMarket`) and the result key's file. */
export const CLI_SETTINGS = defineSettings({
  ...shared,
  jobMarket: { ...market, flag: "market" },
  resultKeyFile: {
    env: "ACCORD_RESULT_KEY_FILE",
    schema: settingKinds.text(),
    path: true,
    description: "the requester's x25519 result key, owner-only, created on first use (default result.key beside the config file)",
  },
});

/** How `accord` spells a setting given on its command line. */
const CLI_FLAGS: Record<string, string> = { rpcUrl: "--rpc-url", chainId: "--chain-id", jobMarket: "--market", keyFile: "--key-file", dataDir: "--data-dir" };

export function configPath(flags: GlobalFlags, env = process.env): string {
  if (flags.config) return resolve(flags.config);
  if (env.ACCORD_CONFIG) return resolve(env.ACCORD_CONFIG);
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "accord", CONFIG_FILE_NAME);
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
  /** Where each setting came from. */
  sources: Partial<Record<keyof typeof CLI_SETTINGS, SettingSource>>;
};

/**
 * Flags over environment over config file over defaults, by the library's one rule set. The key
 * comes from the key file when one is named, else from ACCORD_PRIVATE_KEY; never from the config file.
 */
export function resolveConfig(flags: GlobalFlags, env = process.env): ResolvedConfig {
  const path = configPath(flags, env);
  const dir = dirname(path);
  let resolved;
  try {
    resolved = resolveSettings(CLI_SETTINGS, {
      flags,
      env,
      file: { path, values: readConfigFile(path, Object.keys(CLI_SETTINGS)) },
      defaults: { rpcUrl: DEFAULT_RPC_URL, dataDir: resolve(dir, "node"), resultKeyFile: resolve(dir, RESULT_KEY_FILE_NAME) },
    });
  } catch (err) {
    if (err instanceof InvalidSettingError) {
      const worded = err.wordedFor((setting) => CLI_FLAGS[setting]);
      throw new CliConfigError(worded.shortMessage, worded.fix, err);
    }
    throw err;
  }
  const { values, sources } = resolved;
  const privateKey = values.keyFile
    ? readKeyFile(values.keyFile, { why: "the key controls your account's funds" })
    : env.ACCORD_PRIVATE_KEY
      ? parsePrivateKey(env.ACCORD_PRIVATE_KEY, "ACCORD_PRIVATE_KEY")
      : undefined;
  return {
    path,
    rpcUrl: values.rpcUrl!,
    chainId: values.chainId,
    market: values.jobMarket,
    token: values.token,
    startBlock: values.startBlock,
    privateKey,
    dataDir: values.dataDir!,
    resultKeyFile: values.resultKeyFile!,
    sources,
  };
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
 * The requester's x25519 result key, kept beside the config file (owner-only) and created on
 * first use. Losing it means losing access to results sealed to it; a copy others can read is
 * refused (the library's secret-file rule), not quietly narrowed, since they may have read it.
 */
export function loadOrCreateResultKey(path: string): ResultKeyPair {
  let text: string;
  try {
    text = readSecretFile(path, "result key", { why: "it opens every result sealed to you" });
  } catch (err) {
    if (!(err instanceof SecretFileMissingError)) throw err;
    const key = generateResultKey();
    try {
      createSecretFile(path, `${bytesToHex(key.secretKey)}\n`, "result key");
      return key;
    } catch (exists) {
      // CLI processes started at once on a fresh folder all use the one key the first of them made.
      if (!(exists instanceof SecretFileExistsError)) throw exists;
      return loadOrCreateResultKey(path);
    }
  }
  if (!/^0x[0-9a-f]{64}$/i.test(text)) throw new CliConfigError(`The result key file ${path} is damaged.`, "Restore it from a backup; results sealed to the old key cannot be opened with a new one.");
  const secretKey = hexToBytes(text as Hex);
  const publicKey = x25519PublicKey(secretKey);
  return { secretKey, publicKey, publicKeyHex: bytesToHex(publicKey) };
}

import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createPublicClient, defineChain, getAddress, http, isAddress, isHex, type Address, type Chain, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { z } from "zod";
import { createAccordClient, type AccordClient } from "../client.ts";
import { readDeployment, type Deployment } from "../deployments.ts";
import { BaseError } from "../errors.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import { generateResultKey, type ResultKeyPair } from "../seal/keys.ts";
import { bytesToHex, hexToBytes } from "viem";
import { x25519 } from "@noble/curves/ed25519.js";

/** Reaching the RPC for the chain id before anything else: a dead URL fails fast. */
export const RPC_PROBE_TIMEOUT_MS = 5_000;
export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";
export const CONFIG_FILE_NAME = "config.json";
export const RESULT_KEY_FILE_NAME = "result.key";
/** Owner-only: the file holds a secret. */
const SECRET_FILE_MODE = 0o600;

export class CliConfigError extends BaseError {
  override name = "CliConfigError";
  constructor(problem: string, fix: string, cause?: unknown) {
    super(problem, { fix, cause });
  }
}

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
    const publicKey = x25519.getPublicKey(secretKey);
    return { secretKey, publicKey, publicKeyHex: bytesToHex(publicKey) };
  }
  const key = generateResultKey();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${bytesToHex(key.secretKey)}\n`, { mode: SECRET_FILE_MODE, flag: "wx" });
  return key;
}

function chainFor(id: number, rpcUrl: string): Chain {
  if (id === hardhat.id) return { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } };
  return defineChain({ id, name: `chain ${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
}

/** The client a command runs with; `withNode` starts a content node, `withKey` loads the result key. */
export async function clientFromConfig(cfg: ResolvedConfig, options: { withNode?: boolean; withKey?: boolean; signal?: AbortSignal } = {}): Promise<AccordClient> {
  const transport = http(cfg.rpcUrl, { timeout: 30_000, retryCount: 2 });
  let chainId = cfg.chainId;
  if (chainId === undefined) {
    try {
      chainId = await createPublicClient({ transport: http(cfg.rpcUrl, { timeout: RPC_PROBE_TIMEOUT_MS, retryCount: 0 }) }).getChainId();
    } catch (err) {
      throw new CliConfigError(`The RPC at ${cfg.rpcUrl} does not answer.`, "Start the local chain (`npm start`) or pass --rpc-url / ACCORD_RPC_URL for your chain.", err);
    }
  }
  const chain = chainFor(chainId, cfg.rpcUrl);
  let deployment: Deployment;
  if (cfg.market) {
    let token = cfg.token;
    if (!token) {
      token = (await createPublicClient({ chain, transport }).readContract({ address: cfg.market, abi: jobMarketAbi, functionName: "token" })) as Address;
    }
    deployment = { chainId, jobMarket: cfg.market, token, startBlock: cfg.startBlock ?? 0 };
  } else {
    deployment = readDeployment(chainId);
  }
  return createAccordClient({
    chain,
    transport,
    account: cfg.privateKey ? privateKeyToAccount(cfg.privateKey) : undefined,
    deployment,
    node: options.withNode ? { dataDir: cfg.dataDir } : undefined,
    resultKey: options.withKey ? loadOrCreateResultKey(cfg.resultKeyFile) : undefined,
    pollingIntervalMs: chainId === hardhat.id ? 100 : 1_000,
  });
}

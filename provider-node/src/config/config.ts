import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { CONFIG_FILE_NAME, DEFAULT_METRICS_PORT, DEFAULT_PRICING, KEY_FILE_NAME, PROVIDER_LIMITS, type ProviderLimits } from "../constants.ts";
import { ConfigFileError, InvalidConfigError, KeyFileError } from "../errors.ts";
import { parseFault, type Fault } from "../faults.ts";
import { parseRelayMode, parseSwitch, type RelayMode } from "../net/reachability.ts";
import { parseRelayLimits } from "../net/relay-limits.ts";
import type { RelayLimits } from "@accord/client/net/relay-limits";
import { parsePrivateKey, readKeyFile } from "./keyfile.ts";

export type Pricing = typeof DEFAULT_PRICING;

/** Everything a provider needs to run; what `startProvider` takes. */
export type ProviderConfig = {
  /** JSON-RPC endpoint of the chain. */
  rpcUrl: string;
  /** JobMarket address; when absent it is looked up in deployments/<chainId>.json. */
  market?: Address;
  /** Journal, content store and peer key live here. */
  dataDir: string;
  /** The provider's signing key. Never logged or printed. */
  privateKey: Hex;
  /** libp2p listen addresses (default /ip4/127.0.0.1/tcp/0). */
  listen?: string[];
  /** Addresses to register on-chain instead of the listen addresses. */
  announce?: string[];
  /** Peers to join the network through (multiaddrs ending in /p2p/<peer id>). */
  bootstrap?: string[];
  /** Relay for nodes behind NAT: "auto" (default: when this node has a public address), "on", "off". */
  relay?: RelayMode;
  /** What this node allows those it relays for (net/relay-limits.ts); unset ones are RELAY_LIMITS'. */
  relayLimits?: Partial<RelayLimits>;
  /** Private and loopback addresses count as reachable (default true: a devnet); false on the internet. */
  privateAddresses?: boolean;
  /** Port of /metrics and /health on 127.0.0.1 (0: any free port; -1: no endpoint). */
  metricsPort?: number;
  pricing?: Partial<Pricing>;
  /** Ask price registered on-chain, token units per 1e9 fuel (default: pricing.pricePerGigaFuel). */
  askPrice?: bigint;
  /** Bid only for these requesters (empty or absent: anyone not denied). */
  allowRequesters?: Address[];
  denyRequesters?: Address[];
  limits?: Partial<ProviderLimits>;
  /** First block to follow when the journal has none (default: the deployment's start block). */
  fromBlock?: bigint;
  /** Tests and demos only: misbehave as told. */
  fault?: Fault;
  logLevel?: string;
};

/** The settings as they may appear in the config file (bigints as decimal strings). */
export type ConfigFile = Partial<Record<string, unknown>>;

type Source = "flag" | "env" | "file";
type Setting = { env: string; parse: (v: unknown, name: string) => unknown };

const str = (v: unknown, name: string) => {
  if (typeof v !== "string" || v.length === 0) throw new InvalidConfigError(name, "must be a non-empty string");
  return v;
};
const list = (v: unknown, name: string) => {
  if (Array.isArray(v)) return v.map((x) => str(x, name));
  return str(v, name).split(",").map((s) => s.trim()).filter(Boolean);
};
const int = (v: unknown, name: string) => {
  const n = typeof v === "number" ? v : Number(str(v, name));
  if (!Number.isSafeInteger(n)) throw new InvalidConfigError(name, `must be an integer, not ${JSON.stringify(v)}`);
  return n;
};
const big = (v: unknown, name: string) => {
  try {
    const b = BigInt(typeof v === "number" ? v : str(v, name));
    if (b < 0n) throw new Error("negative");
    return b;
  } catch {
    throw new InvalidConfigError(name, `must be a whole non-negative number of token units, not ${JSON.stringify(v)}`);
  }
};
const address = (v: unknown, name: string) => {
  const s = str(v, name);
  if (!isAddress(s, { strict: false })) throw new InvalidConfigError(name, `must be a 0x-prefixed 20-byte address, not "${s}"`);
  return getAddress(s);
};
const addresses = (v: unknown, name: string) => list(v, name).map((a) => address(a, name));
const url = (v: unknown, name: string) => {
  const s = str(v, name);
  try {
    const u = new URL(s);
    if (!["http:", "https:", "ws:", "wss:"].includes(u.protocol)) throw new Error();
  } catch {
    throw new InvalidConfigError(name, `must be an http(s) or ws(s) URL, not "${s}"`);
  }
  return s;
};

/** Every setting, by its name in the config file and as a camelCase flag; ACCORD_* in the environment. */
const SETTINGS: Record<string, Setting> = {
  rpcUrl: { env: "ACCORD_RPC_URL", parse: url },
  market: { env: "ACCORD_MARKET", parse: address },
  dataDir: { env: "ACCORD_DATA_DIR", parse: str },
  keyFile: { env: "ACCORD_KEY_FILE", parse: str },
  listen: { env: "ACCORD_LISTEN", parse: list },
  announce: { env: "ACCORD_ANNOUNCE", parse: list },
  bootstrap: { env: "ACCORD_BOOTSTRAP", parse: list },
  metricsPort: { env: "ACCORD_METRICS_PORT", parse: int },
  pricePerGigaFuel: { env: "ACCORD_PRICE_PER_GIGA_FUEL", parse: big },
  pricePerMemoryMiB: { env: "ACCORD_PRICE_PER_MEMORY_MIB", parse: big },
  pricePerInputMiB: { env: "ACCORD_PRICE_PER_INPUT_MIB", parse: big },
  minPrice: { env: "ACCORD_MIN_PRICE", parse: big },
  askPrice: { env: "ACCORD_ASK_PRICE", parse: big },
  allowRequesters: { env: "ACCORD_ALLOW_REQUESTERS", parse: addresses },
  denyRequesters: { env: "ACCORD_DENY_REQUESTERS", parse: addresses },
  workers: { env: "ACCORD_WORKERS", parse: int },
  bidAndCommitMaxFuel: { env: "ACCORD_BID_AND_COMMIT_MAX_FUEL", parse: int },
  fromBlock: { env: "ACCORD_FROM_BLOCK", parse: big },
  fault: { env: "ACCORD_FAULT", parse: (v, n) => parseFault(str(v, n)) },
  logLevel: { env: "ACCORD_LOG_LEVEL", parse: str },
  relay: { env: "ACCORD_RELAY", parse: parseRelayMode },
  privateAddresses: { env: "ACCORD_PRIVATE_ADDRESSES", parse: parseSwitch },
};

/**
 * Where the daemon listens when nothing says: every interface, on a port of its own choosing that
 * stays the same across restarts, so the address it registers stays true (an OS-picked port would
 * change at every start and the on-chain listing with it).
 */
export const DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4001";

/** The data directory when none is set: one per user, like ~/.ipfs. */
export function defaultDataDir(): string {
  return join(homedir(), ".accord-provider");
}

export type LoadConfigParameters = {
  /** Flags as commander gives them (camelCase). */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Path of the config file (default <dataDir>/config.json). */
  configFile?: string;
  /** `init`, `status` and friends do not need every setting. */
  requireRpc?: boolean;
};

export type LoadedConfig = {
  config: Omit<ProviderConfig, "privateKey"> & { privateKey?: Hex };
  keyFile: string;
  /** Where the key comes from: the key file's path, or ACCORD_PRIVATE_KEY (with --key-from-env). */
  keySource: string;
  configFile: string;
  /** Where each setting came from, for `--help`-level diagnostics (never values). */
  sources: Record<string, Source>;
};

/** Reads the config file, the ACCORD_* environment and the flags; later ones win. Keys are read, never echoed. */
export function loadConfig(p: LoadConfigParameters = {}): LoadedConfig {
  const flags = p.flags ?? {};
  const env = p.env ?? process.env;
  const pick = (name: string, from: Record<string, unknown>) => (from[name] === undefined ? undefined : from[name]);
  // The data directory decides where the config file is, so it is resolved from flags and env first.
  const dataDirRaw = pick("dataDir", flags) ?? env.ACCORD_DATA_DIR;
  const configFile = resolve(String(pick("config", flags) ?? env.ACCORD_CONFIG ?? p.configFile ?? join(String(dataDirRaw ?? defaultDataDir()), CONFIG_FILE_NAME)));
  const file = readConfigFile(configFile);

  const values: Record<string, unknown> = {};
  const sources: Record<string, Source> = {};
  for (const [name, setting] of Object.entries(SETTINGS)) {
    const candidates: Array<[Source, unknown]> = [
      ["flag", flags[name]],
      ["env", env[setting.env] === "" ? undefined : env[setting.env]],
      ["file", file[name]],
    ];
    const found = candidates.find(([, v]) => v !== undefined);
    if (!found) continue;
    const label = found[0] === "env" ? setting.env : found[0] === "flag" ? `--${kebab(name)}` : `${name} (in ${configFile})`;
    values[name] = setting.parse(found[1], label);
    sources[name] = found[0];
  }

  const limits = parseLimits(file.limits, env, flags.limit, configFile);
  if (values.workers !== undefined) limits.workers = values.workers as number;
  if (values.bidAndCommitMaxFuel !== undefined) limits.bidAndCommitMaxFuel = values.bidAndCommitMaxFuel as number;
  const relayLimits = parseRelayLimits(file.relayLimits, env, flags.relayLimit, configFile);

  const dataDir = resolve(String(values.dataDir ?? dirname(configFile)));
  const keyFile = resolve(String(values.keyFile ?? join(dataDir, KEY_FILE_NAME)));
  // The provider signs with its own key file. ACCORD_PRIVATE_KEY is the requester CLI's variable
  // too, so a shell set up for `accord` would otherwise stake and bid with the requester's key: the
  // environment's key is used only when the command line says so.
  let privateKey: Hex | undefined;
  let keySource = keyFile;
  if (flags.keyFromEnv) {
    if (!env.ACCORD_PRIVATE_KEY) throw new InvalidConfigError("--key-from-env", "was given but ACCORD_PRIVATE_KEY is not set", "Export ACCORD_PRIVATE_KEY=0x… (the provider's key), or drop --key-from-env to use the key file.");
    privateKey = parsePrivateKey(env.ACCORD_PRIVATE_KEY, "ACCORD_PRIVATE_KEY");
    keySource = "ACCORD_PRIVATE_KEY";
  } else if (existsSync(keyFile)) privateKey = readKeyFile(keyFile);

  if (p.requireRpc && values.rpcUrl === undefined)
    throw new InvalidConfigError("rpcUrl", "is not set", "Pass --rpc-url http://127.0.0.1:8545, set ACCORD_RPC_URL, or put rpcUrl in the config file.");

  const pricing: Partial<Pricing> = {};
  for (const k of Object.keys(DEFAULT_PRICING) as Array<keyof Pricing>) if (values[k] !== undefined) pricing[k] = values[k] as bigint;

  return {
    configFile,
    keyFile,
    keySource,
    sources,
    config: {
      rpcUrl: values.rpcUrl as string,
      market: values.market as Address | undefined,
      dataDir,
      privateKey,
      listen: (values.listen as string[] | undefined) ?? [DEFAULT_LISTEN],
      announce: values.announce as string[] | undefined,
      bootstrap: values.bootstrap as string[] | undefined,
      relay: values.relay as RelayMode | undefined,
      relayLimits,
      privateAddresses: values.privateAddresses as boolean | undefined,
      metricsPort: (values.metricsPort as number | undefined) ?? DEFAULT_METRICS_PORT,
      pricing,
      askPrice: values.askPrice as bigint | undefined,
      allowRequesters: values.allowRequesters as Address[] | undefined,
      denyRequesters: values.denyRequesters as Address[] | undefined,
      limits,
      fromBlock: values.fromBlock as bigint | undefined,
      fault: values.fault as Fault | undefined,
      logLevel: values.logLevel as string | undefined,
    },
  };
}

/** The private key of a loaded config, or an error that says how to get one. */
export function requireKey(loaded: LoadedConfig): Hex {
  if (loaded.config.privateKey) return loaded.config.privateKey;
  throw new KeyFileError(
    loaded.keyFile,
    "does not exist",
    "Run `accord-provider init` (with the same --data-dir) to create the provider's key, pass --key-file with an existing one, or --key-from-env to sign with ACCORD_PRIVATE_KEY.",
  );
}

/** Settings that are objects of named values, each parsed on its own. */
const GROUPS = ["limits", "relayLimits"];

function readConfigFile(path: string): ConfigFile {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigFileError(path, `it is not valid JSON (${(err as Error).message})`, err);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ConfigFileError(path, "it does not hold a JSON object");
  if ("privateKey" in parsed) throw new ConfigFileError(path, "it holds a private key; keys belong in the key file (mode 0600)");
  const unknown = Object.keys(parsed).filter((k) => !(k in SETTINGS) && !GROUPS.includes(k));
  if (unknown.length)
    throw new ConfigFileError(path, `it has unknown setting(s) ${unknown.map((k) => JSON.stringify(k)).join(", ")}; known: ${[...Object.keys(SETTINGS), ...GROUPS].join(", ")}`);
  return parsed as ConfigFile;
}

function parseLimits(fromFile: unknown, env: NodeJS.ProcessEnv, fromFlags: unknown, configFile: string): Partial<ProviderLimits> {
  const out: Record<string, number | bigint> = {};
  const set = (name: string, value: unknown, label: string) => {
    if (!(name in PROVIDER_LIMITS)) throw new InvalidConfigError(label, `names no limit; known limits: ${Object.keys(PROVIDER_LIMITS).join(", ")}`);
    const isBig = typeof PROVIDER_LIMITS[name as keyof ProviderLimits] === "bigint";
    const v = isBig ? big(value, label) : Number(value);
    if (!isBig && (!Number.isFinite(v as number) || (v as number) < 0)) throw new InvalidConfigError(label, `must be a non-negative number, not ${JSON.stringify(value)}`);
    out[name] = v;
  };
  if (fromFile !== undefined) {
    if (typeof fromFile !== "object" || fromFile === null) throw new ConfigFileError(configFile, `"limits" must be an object`);
    for (const [k, v] of Object.entries(fromFile)) set(k, v, `limits.${k} (in ${configFile})`);
  }
  for (const name of Object.keys(PROVIDER_LIMITS)) {
    const key = `ACCORD_LIMIT_${snake(name)}`;
    if (env[key] !== undefined && env[key] !== "") set(name, env[key], key);
  }
  const flagList = fromFlags === undefined ? [] : Array.isArray(fromFlags) ? fromFlags : [fromFlags];
  for (const item of flagList) {
    const [k, v] = String(item).split("=", 2);
    if (!k || v === undefined) throw new InvalidConfigError(`--limit ${item}`, "must look like name=value, e.g. --limit workers=2");
    set(k, v, `--limit ${k}`);
  }
  return out as Partial<ProviderLimits>;
}

/**
 * Sets `settings` in the config file, keeping the others (creating the file if need be), so that
 * what one command was told (`register --announce`) holds for the next (`start`).
 */
export function updateConfigFile(path: string, settings: Record<string, unknown>): void {
  const current = readConfigFile(path);
  writeConfigFile(path, { ...current, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) });
}

/** Writes a config file holding `settings` (bigints as strings); never a key. */
export function writeConfigFile(path: string, settings: Record<string, unknown>): void {
  mkdirSync(dirname(path), { recursive: true });
  const json = JSON.stringify(settings, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2);
  writeFileSync(path, `${json}\n`, { mode: 0o644 });
}

export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
export const SETTING_ENV = Object.fromEntries(Object.entries(SETTINGS).map(([k, s]) => [k, s.env]));

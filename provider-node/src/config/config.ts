import { existsSync, writeFileSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Address, Hex } from "viem";
import {
  ConfigFileError,
  defineSettings,
  InvalidSettingError,
  MissingSettingError,
  parsePrivateKey,
  readConfigFile as readSettingsFile,
  resolveSettings,
  settingKinds as kind,
  SHARED_SETTINGS,
  type SettingOrigin,
  type SettingSource,
} from "@accord/client/config";
import { CONFIG_FILE_NAME, DEFAULT_METRICS_PORT, DEFAULT_PRICING, KEY_FILE_NAME, PROVIDER_LIMITS, type ProviderLimits } from "../constants.ts";
import { InvalidConfigError, KeyFileError } from "../errors.ts";
import { FAULTS, type Fault } from "../faults.ts";
import type { RelayMode } from "../net/reachability.ts";
import { parseRelayLimits } from "../net/relay-limits.ts";
import type { RelayLimits } from "@accord/client/net/relay-limits";
import { readKeyFile } from "./keyfile.ts";

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

const UNITS = "a whole non-negative number of token units";
const multiaddrs = () => kind.list(kind.text(), "a list of multiaddrs (an array, or comma-separated)");
const requesters = () => kind.list(kind.address(), "a list of addresses (an array, or comma-separated)");

/**
 * Every setting of the daemon, by its name in the config file and as a camelCase flag; ACCORD_* in
 * the environment. The shared ones (chain, market, data directory, key file) are the library's.
 */
export const PROVIDER_SETTINGS = defineSettings({
  rpcUrl: SHARED_SETTINGS.rpcUrl,
  market: SHARED_SETTINGS.market,
  dataDir: { ...SHARED_SETTINGS.dataDir, description: "where the key, config, journal and content live (default ~/.accord-provider)" },
  keyFile: { ...SHARED_SETTINGS.keyFile, description: "the provider's key file, owner-only (default <data-dir>/provider.key)" },
  listen: { env: "ACCORD_LISTEN", schema: multiaddrs(), description: "libp2p listen addresses" },
  announce: { env: "ACCORD_ANNOUNCE", schema: multiaddrs(), description: "addresses to register instead of the listen addresses" },
  bootstrap: { env: "ACCORD_BOOTSTRAP", schema: multiaddrs(), description: "peers to join the network through" },
  metricsPort: { env: "ACCORD_METRICS_PORT", schema: kind.integer({ min: -1, max: 65_535, what: "a port, 0 for any free one, or -1 for none" }), description: "port of /metrics and /health on 127.0.0.1" },
  pricePerGigaFuel: { env: "ACCORD_PRICE_PER_GIGA_FUEL", schema: kind.bigUint(UNITS), description: "token units per 1e9 fuel of a job's budget" },
  pricePerMemoryMiB: { env: "ACCORD_PRICE_PER_MEMORY_MIB", schema: kind.bigUint(UNITS), description: "token units per MiB of job memory" },
  pricePerInputMiB: { env: "ACCORD_PRICE_PER_INPUT_MIB", schema: kind.bigUint(UNITS), description: "token units per MiB of module and inputs" },
  minPrice: { env: "ACCORD_MIN_PRICE", schema: kind.bigUint(UNITS), description: "lowest bid" },
  askPrice: { env: "ACCORD_ASK_PRICE", schema: kind.bigUint(UNITS), description: "ask price registered on-chain, token units per 1e9 fuel" },
  allowRequesters: { env: "ACCORD_ALLOW_REQUESTERS", schema: requesters(), description: "bid only for these requesters" },
  denyRequesters: { env: "ACCORD_DENY_REQUESTERS", schema: requesters(), description: "never bid for these requesters" },
  workers: { env: "ACCORD_WORKERS", schema: kind.integer({ min: 1 }), description: "sandbox workers, jobs run at once" },
  bidAndCommitMaxFuel: { env: "ACCORD_BID_AND_COMMIT_MAX_FUEL", schema: kind.integer({ min: 0 }), description: "fuel budget up to which a job is run before bidding; 0 never" },
  fromBlock: { env: "ACCORD_FROM_BLOCK", schema: kind.bigUint(), description: "first block to follow when the journal has none" },
  fault: { env: "ACCORD_FAULT", schema: kind.oneOf(FAULTS), description: "TESTS AND DEMOS ONLY: misbehave and be slashed" },
  logLevel: { env: "ACCORD_LOG_LEVEL", schema: kind.oneOf(["trace", "debug", "info", "warn", "error", "fatal", "silent"]), description: "log level" },
  relay: {
    env: "ACCORD_RELAY",
    schema: kind.oneOf(["auto", "on", "off"], { true: "on", false: "off" }),
    description: "relay for nodes behind NAT: auto (when this node has a public address), on, off",
  },
  privateAddresses: { env: "ACCORD_PRIVATE_ADDRESSES", schema: kind.boolean(), description: "private and loopback addresses count as reachable (a devnet)" },
});

/** Settings that are objects of named values, each parsed on its own. */
const GROUPS = ["limits", "relayLimits"];

/** How the daemon names a setting that has a bad value: its flag, its variable, or its place in the file. */
function providerLabel(setting: string, origin: SettingOrigin): string {
  if (origin.source === "flag") return `--${kebab(setting)}`;
  if (origin.source === "env" && origin.env) return origin.env;
  return `${setting} (in ${origin.file})`;
}

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
  sources: Partial<Record<keyof typeof PROVIDER_SETTINGS, SettingSource>>;
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

  let resolved;
  try {
    resolved = resolveSettings(PROVIDER_SETTINGS, { flags, env, file: { path: configFile, values: file }, defaults: { dataDir: dirname(configFile) } });
  } catch (err) {
    // The library names a flag by the setting; the daemon's user typed --kebab-case.
    if (err instanceof InvalidSettingError)
      throw new InvalidConfigError(providerLabel(err.setting, err.origin), err.problem, err.wordedFor((setting) => `--${kebab(setting)}`).fix);
    throw err;
  }
  const { values, sources } = resolved;

  const limits = parseLimits(file.limits, env, flags.limit, configFile);
  if (values.workers !== undefined) limits.workers = values.workers;
  if (values.bidAndCommitMaxFuel !== undefined) limits.bidAndCommitMaxFuel = values.bidAndCommitMaxFuel;
  const relayLimits = parseRelayLimits(file.relayLimits, env, flags.relayLimit, configFile);

  const dataDir = values.dataDir!;
  const keyFile = values.keyFile ?? join(dataDir, KEY_FILE_NAME);
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

  if (p.requireRpc && values.rpcUrl === undefined) {
    const missing = new MissingSettingError({ setting: "rpcUrl", env: PROVIDER_SETTINGS.rpcUrl.env, example: PROVIDER_SETTINGS.rpcUrl.example });
    throw new InvalidConfigError("rpcUrl", "is not set", missing.wordedFor((setting) => `--${kebab(setting)}`).fix);
  }

  const pricing: Partial<Pricing> = {};
  for (const k of Object.keys(DEFAULT_PRICING) as Array<keyof Pricing>) if (values[k] !== undefined) pricing[k] = values[k];

  return {
    configFile,
    keyFile,
    keySource,
    sources,
    config: {
      rpcUrl: values.rpcUrl!,
      market: values.market,
      dataDir,
      privateKey,
      listen: values.listen ?? [DEFAULT_LISTEN],
      announce: values.announce,
      bootstrap: values.bootstrap,
      relay: values.relay,
      relayLimits,
      privateAddresses: values.privateAddresses,
      metricsPort: values.metricsPort ?? DEFAULT_METRICS_PORT,
      pricing,
      askPrice: values.askPrice,
      allowRequesters: values.allowRequesters,
      denyRequesters: values.denyRequesters,
      limits,
      fromBlock: values.fromBlock,
      fault: values.fault,
      logLevel: values.logLevel,
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

/** The daemon's config file: its settings and its groups, by the library's rules (no key in it, no unknown setting). */
function readConfigFile(path: string): Record<string, unknown> {
  return readSettingsFile(path, [...Object.keys(PROVIDER_SETTINGS), ...GROUPS]);
}

/** A limit that is not a bigint: milliseconds, bytes, counts; fractions allowed. */
const LIMIT_NUMBER = kind.number({ min: 0 });

function parseLimits(fromFile: unknown, env: NodeJS.ProcessEnv, fromFlags: unknown, configFile: string): Partial<ProviderLimits> {
  const out: Record<string, number | bigint> = {};
  const set = (name: string, value: unknown, label: string) => {
    if (!(name in PROVIDER_LIMITS)) throw new InvalidConfigError(label, `names no limit; known limits: ${Object.keys(PROVIDER_LIMITS).join(", ")}`);
    const isBig = typeof PROVIDER_LIMITS[name as keyof ProviderLimits] === "bigint";
    const parsed = (isBig ? kind.bigUint() : LIMIT_NUMBER).safeParse(value);
    if (!parsed.success) throw new InvalidConfigError(label, `${parsed.error.issues[0]?.message}, not ${JSON.stringify(value)}`);
    out[name] = parsed.data;
  };
  if (fromFile !== undefined) {
    if (typeof fromFile !== "object" || fromFile === null || Array.isArray(fromFile)) throw new ConfigFileError(configFile, `"limits" must be an object such as {"workers": 2}`);
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

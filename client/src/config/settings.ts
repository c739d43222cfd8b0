import { dirname, resolve } from "node:path";
import type { z } from "zod";
import { InvalidSettingError, type SettingOrigin, type SettingSource } from "./errors.ts";
import * as kind from "./schemas.ts";

/**
 * One setting of a front end: its ACCORD_* variable, the schema its value must pass, and one line
 * saying what it is. The setting's name (its key in the table) is its name in a config file and,
 * camelCased, on a command line.
 */
export type SettingDefinition<T = unknown> = {
  env: string;
  schema: z.ZodType<T, unknown>;
  description: string;
  /** A valid value, quoted in errors. */
  example?: string;
  /** A path: one in a config file is relative to that file, one from a flag or the environment to the working directory. */
  path?: boolean;
  /** The flag's own name when it is not the setting's (the CLI's --market sets the file's `jobMarket`). */
  flag?: string;
};

export type SettingsTable = Record<string, SettingDefinition>;

/** A table with each setting's value type kept (`defineSettings({...})` rather than a plain annotation). */
export const defineSettings = <const T extends SettingsTable>(table: T): T => table;

export type SettingValues<T extends SettingsTable> = { [K in keyof T]?: T[K] extends SettingDefinition<infer V> ? V : never };

/** The settings every front end has: one chain, one market, one data directory, one key. */
export const SHARED_SETTINGS = defineSettings({
  rpcUrl: { env: "ACCORD_RPC_URL", schema: kind.rpcUrl(), description: "JSON-RPC endpoint of the chain", example: "http://127.0.0.1:8545" },
  chainId: { env: "ACCORD_CHAIN_ID", schema: kind.integer({ min: 1 }), description: "chain id (default: asked from the RPC)", example: "31337" },
  market: {
    env: "ACCORD_MARKET",
    schema: kind.address(),
    description: "JobMarket address (default: deployments/<chain id>.json)",
    example: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  },
  token: { env: "ACCORD_TOKEN", schema: kind.address(), description: "payment token address (default: the market's)" },
  startBlock: { env: "ACCORD_START_BLOCK", schema: kind.integer({ min: 0 }), description: "block the market was deployed in, where its events start", example: "0" },
  dataDir: { env: "ACCORD_DATA_DIR", schema: kind.text(), path: true, description: "folder of the node's data (peer key, content)" },
  keyFile: { env: "ACCORD_KEY_FILE", schema: kind.text(), path: true, description: "file holding the account's private key (owner-only, mode 0600)" },
});

export type ResolveSettingsParameters = {
  /** Flags by camelCase name as commander gives them; undefined is unset. */
  flags?: Record<string, unknown>;
  /** The ACCORD_* environment; an empty variable is unset. */
  env?: Record<string, string | undefined>;
  /** The config file's settings (readConfigFile) and where it is. */
  file?: { path: string; values: Record<string, unknown> };
  /** Values used when no source sets one; not checked against the schema. */
  defaults?: Record<string, unknown>;
  /** What relative paths from flags and the environment are relative to (default process.cwd()). */
  cwd?: string;
};

export type ResolvedSettings<T extends SettingsTable> = {
  values: SettingValues<T>;
  /** Where each value that is set came from. */
  sources: { [K in keyof T]?: SettingSource };
  /** Where exactly (the variable, the file), for messages. */
  origins: { [K in keyof T]?: SettingOrigin };
};

/**
 * Each setting of `table` from the first source that sets it: flag, then environment, then config
 * file, then default; checked against its schema, with an error naming the setting and the source
 * that gave the bad value.
 */
export function resolveSettings<T extends SettingsTable>(table: T, p: ResolveSettingsParameters = {}): ResolvedSettings<T> {
  const values: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  const origins: Record<string, SettingOrigin> = {};
  for (const [name, def] of Object.entries(table)) {
    const envValue = p.env?.[def.env];
    const candidates: Array<[SettingOrigin, unknown]> = [
      [{ source: "flag" }, p.flags?.[def.flag ?? name]],
      [{ source: "env", env: def.env }, envValue === "" ? undefined : envValue],
      [{ source: "file", file: p.file?.path }, p.file?.values[name]],
    ];
    const found = candidates.find(([, v]) => v !== undefined);
    if (!found) {
      if (p.defaults?.[name] !== undefined) {
        values[name] = p.defaults[name];
        sources[name] = "default";
        origins[name] = { source: "default" };
      }
      continue;
    }
    const [origin, raw] = found;
    const parsed = def.schema.safeParse(raw);
    if (!parsed.success)
      throw new InvalidSettingError({ setting: name, origin, problem: `${parsed.error.issues[0]?.message ?? "is not valid"}, not ${JSON.stringify(raw)}`, example: def.example });
    let value = parsed.data;
    if (def.path && typeof value === "string") value = resolve(origin.source === "file" && origin.file ? dirname(origin.file) : (p.cwd ?? process.cwd()), value);
    values[name] = value;
    sources[name] = origin.source;
    origins[name] = origin;
  }
  return { values: values as SettingValues<T>, sources: sources as ResolvedSettings<T>["sources"], origins: origins as ResolvedSettings<T>["origins"] };
}

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidSettingError, MissingSettingError } from "./errors.ts";
import { readConfigFile } from "./file.ts";
import * as kind from "./schemas.ts";
import { defineSettings, resolveSettings, SHARED_SETTINGS } from "./settings.ts";

const dir = mkdtempSync(join(tmpdir(), "accord-settings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TABLE = defineSettings({
  ...SHARED_SETTINGS,
  workers: { env: "ACCORD_WORKERS", schema: kind.integer({ min: 1 }), description: "jobs run at once" },
  peers: { env: "ACCORD_PEERS", schema: kind.list(kind.address(), "a list of addresses"), description: "peers" },
});
const FILE = join(dir, "config.json");
const A1 = "0x00000000000000000000000000000000000000aa";

/** The error thrown is a `name` with these fields. */
const failure = (name: string, fields: Record<string, unknown>) => expect.objectContaining({ name, ...fields });

describe("resolveSettings", () => {
  it("takes a flag over the environment over the config file over the default, and says which gave each value", () => {
    const file = { path: FILE, values: { rpcUrl: "http://127.0.0.1:1", chainId: 5, workers: 2, startBlock: 9 } };
    const env = { ACCORD_RPC_URL: "http://127.0.0.1:2", ACCORD_CHAIN_ID: "6" };
    const flags = { rpcUrl: "http://127.0.0.1:3" };
    const { values, sources, origins } = resolveSettings(TABLE, { flags, env, file, defaults: { workers: 1, token: A1, dataDir: "/d" } });
    expect(values).toMatchObject({ rpcUrl: "http://127.0.0.1:3", chainId: 6, workers: 2, startBlock: 9, token: A1 });
    expect(sources).toEqual({ rpcUrl: "flag", chainId: "env", workers: "file", startBlock: "file", token: "default", dataDir: "default" });
    expect(origins.chainId).toEqual({ source: "env", env: "ACCORD_CHAIN_ID" });
    expect(origins.workers).toEqual({ source: "file", file: FILE });
    // Parsed into their types whichever source gave them: a string from the environment, a number from JSON.
    expect(typeof values.chainId).toBe("number");
    expect(values.market).toBeUndefined();
    expect(sources.market).toBeUndefined();
  });

  it("counts an empty variable as unset, and reads lists from JSON arrays and comma-separated text", () => {
    const file = { path: FILE, values: { rpcUrl: "http://127.0.0.1:1", peers: [A1] } };
    expect(resolveSettings(TABLE, { env: { ACCORD_RPC_URL: "" }, file }).sources.rpcUrl).toBe("file");
    expect(resolveSettings(TABLE, { env: {}, file }).values.peers).toEqual(["0x00000000000000000000000000000000000000AA"]);
    expect(resolveSettings(TABLE, { env: { ACCORD_PEERS: `${A1}, ${A1.replace("aa", "bb")}` } }).values.peers).toHaveLength(2);
  });

  it("reads a relative path in a config file from the file's folder, one from a flag or the environment from the working directory", () => {
    const file = { path: join(dir, "sub", "config.json"), values: { keyFile: "k.key", dataDir: "data" } };
    const r = resolveSettings(TABLE, { file, env: { ACCORD_DATA_DIR: "from-env" }, cwd: "/work/here" });
    expect(r.values.keyFile).toBe(join(dir, "sub", "k.key"));
    expect(r.values.dataDir).toBe("/work/here/from-env");
  });

  it("names the setting and the source of a bad value, in the library's terms, with what to do", () => {
    expect(() => resolveSettings(TABLE, { env: { ACCORD_RPC_URL: "localhost:8545" } })).toThrow(
      failure("InvalidSettingError", {
        shortMessage: 'ACCORD_RPC_URL must be an http(s) or ws(s) URL, not "localhost:8545".',
        fix: "Set ACCORD_RPC_URL to a valid value, e.g. http://127.0.0.1:8545, or unset it.",
      }),
    );
    expect(() => resolveSettings(TABLE, { file: { path: FILE, values: { chainId: 0 } } })).toThrow(failure("InvalidSettingError", { shortMessage: `\`chainId\` in ${FILE} must be a positive integer, not 0.` }));
    expect(() => resolveSettings(TABLE, { flags: { market: "0x12" } })).toThrow(
      failure("InvalidSettingError", { setting: "market", origin: { source: "flag" }, shortMessage: expect.stringMatching(/^`market` must be a 0x-prefixed 20-byte address/) }),
    );
  });

  it("words a bad flag with a front end's spelling of it", () => {
    const err = new InvalidSettingError({ setting: "market", origin: { source: "flag" }, problem: 'must be an address, not "0x12"', example: "0xabc" });
    expect(err.wordedFor((s) => `--${s}`)).toEqual({ shortMessage: '--market must be an address, not "0x12".', fix: "Give --market a valid value, e.g. 0xabc." });
    // A value from the environment or a file is named as such whatever the front end.
    const fromEnv = new InvalidSettingError({ setting: "market", origin: { source: "env", env: "ACCORD_MARKET" }, problem: "must be an address" });
    expect(fromEnv.wordedFor((s) => `--${s}`).shortMessage).toBe("ACCORD_MARKET must be an address.");
  });

  it("says how to give a missing setting, in the library's terms or a front end's", () => {
    const err = new MissingSettingError({ setting: "rpcUrl", env: "ACCORD_RPC_URL", example: "http://127.0.0.1:8545" });
    expect(err.fix).toBe("Pass `rpcUrl` http://127.0.0.1:8545, set ACCORD_RPC_URL, or put `rpcUrl` in the config file.");
    expect(err.wordedFor(() => "--rpc-url").fix).toBe("Pass --rpc-url http://127.0.0.1:8545, set ACCORD_RPC_URL, or put `rpcUrl` in the config file.");
  });
});

describe("readConfigFile", () => {
  const KNOWN = Object.keys(TABLE);
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("reads a JSON object of known settings; a missing file is no settings", () => {
    expect(readConfigFile(write("ok.json", JSON.stringify({ rpcUrl: "http://x:1", workers: 2 })), KNOWN)).toEqual({ rpcUrl: "http://x:1", workers: 2 });
    expect(readConfigFile(join(dir, "absent.json"), KNOWN)).toEqual({});
  });

  it("refuses unknown settings, naming them and every known one", () => {
    expect(() => readConfigFile(write("typo.json", JSON.stringify({ rpcURL: "x", workers: 1 })), KNOWN)).toThrow(
      failure("ConfigFileError", { shortMessage: expect.stringContaining('unknown setting(s) "rpcURL"'), fix: expect.stringContaining(`known settings: ${KNOWN.join(", ")}`) }),
    );
  });

  it("refuses a private key in any config file, pointing to a key file, and never repeats the key", () => {
    const path = write("key.json", JSON.stringify({ rpcUrl: "http://x:1", privateKey: `0x${"ab".repeat(32)}` }));
    expect(() => readConfigFile(path, KNOWN)).toThrow(failure("ConfigFileError", { shortMessage: expect.stringMatching(/holds a private key/), fix: expect.stringMatching(/`keyFile`/) }));
    expect(() => readConfigFile(path, KNOWN)).not.toThrow(/abab/);
  });

  it("refuses what is not a JSON object", () => {
    expect(() => readConfigFile(write("bad.json", "{ nope"), KNOWN)).toThrow(/not valid JSON/);
    expect(() => readConfigFile(write("array.json", "[1]"), KNOWN)).toThrow(/does not hold a JSON object/);
  });
});

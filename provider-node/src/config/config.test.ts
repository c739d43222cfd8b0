import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { InvalidPrivateKeyError } from "@accord/client/config";
import { ConfigFileError, InvalidConfigError, KeyExistsError } from "../errors.ts";
import { DEFAULT_LISTEN, loadConfig, updateConfigFile, writeConfigFile } from "./config.ts";
import { createKeyFile, readKeyFile } from "./keyfile.ts";

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), "accord-config-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("key file", () => {
  it("is written with mode 0600, read back, and never overwritten", () => {
    const path = join(temp(), "k", "provider.key");
    const address = createKeyFile(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(privateKeyToAccount(readKeyFile(path)).address).toBe(address);
    expect(() => createKeyFile(path)).toThrow(KeyExistsError);
  });

  it("is refused when other users can read it, and its content never appears in the error", () => {
    const path = join(temp(), "provider.key");
    createKeyFile(path);
    chmodSync(path, 0o644);
    expect(() => readKeyFile(path)).toThrow(/chmod 600/);
    const bad = join(temp(), "bad.key");
    writeFileSync(bad, "0xnotakey-secretish", { mode: 0o600 });
    const err = (() => {
      try {
        readKeyFile(bad);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(InvalidPrivateKeyError);
    expect(err!.message).not.toContain("secretish");
  });
});

describe("loadConfig", () => {
  it("takes flags over environment over file, and limits from all three", () => {
    const dir = temp();
    writeConfigFile(join(dir, "config.json"), { rpcUrl: "http://127.0.0.1:1", metricsPort: 1, minPrice: "5", limits: { workers: 3, pollIntervalMs: 100 } });
    const { config, sources } = loadConfig({
      flags: { dataDir: dir, metricsPort: "7", limit: ["maxJobFuel=99"] },
      env: { ACCORD_RPC_URL: "http://127.0.0.1:2", ACCORD_LIMIT_POLL_INTERVAL_MS: "50", ACCORD_DENY_REQUESTERS: "0x00000000000000000000000000000000000000aa" },
    });
    expect(config.rpcUrl).toBe("http://127.0.0.1:2");
    expect(config.metricsPort).toBe(7);
    expect(config.pricing).toEqual({ minPrice: 5n });
    expect(config.limits).toEqual({ workers: 3, pollIntervalMs: 50, maxJobFuel: 99 });
    expect(config.denyRequesters).toEqual(["0x00000000000000000000000000000000000000AA"]);
    expect(sources).toMatchObject({ rpcUrl: "env", metricsPort: "flag", minPrice: "file" });
  });

  it("reads the key from the data directory's key file", () => {
    const dir = temp();
    const address = createKeyFile(join(dir, "provider.key"));
    const { config } = loadConfig({ flags: { dataDir: dir }, env: {} });
    expect(privateKeyToAccount(config.privateKey!).address).toBe(address);
  });

  it("signs with the key file even when ACCORD_PRIVATE_KEY is set, and with the environment's key only when told on the command line", () => {
    const dir = temp();
    const own = createKeyFile(join(dir, "provider.key"));
    const requester = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    const plain = loadConfig({ flags: { dataDir: dir }, env: { ACCORD_PRIVATE_KEY: requester } });
    expect(privateKeyToAccount(plain.config.privateKey!).address).toBe(own);
    expect(plain.keySource).toBe(join(dir, "provider.key"));
    const told = loadConfig({ flags: { dataDir: dir, keyFromEnv: true }, env: { ACCORD_PRIVATE_KEY: requester } });
    expect(told.config.privateKey).toBe(requester);
    expect(told.keySource).toBe("ACCORD_PRIVATE_KEY");
    expect(() => loadConfig({ flags: { dataDir: dir, keyFromEnv: true }, env: {} })).toThrow(/--key-from-env.*ACCORD_PRIVATE_KEY is not set/);
  });

  it("listens on a fixed port when nothing says where, and keeps what one command saved for the next", () => {
    const dir = temp();
    expect(loadConfig({ flags: { dataDir: dir }, env: {} }).config.listen).toEqual([DEFAULT_LISTEN]);
    expect(DEFAULT_LISTEN).not.toMatch(/\/tcp\/0$/);
    writeConfigFile(join(dir, "config.json"), { rpcUrl: "http://127.0.0.1:1", minPrice: "5" });
    updateConfigFile(join(dir, "config.json"), { listen: ["/ip4/0.0.0.0/tcp/4002"], announce: ["/dns4/my.host/tcp/4002"], askPrice: 7n, market: undefined });
    const { config } = loadConfig({ flags: { dataDir: dir }, env: {} });
    expect(config).toMatchObject({ rpcUrl: "http://127.0.0.1:1", listen: ["/ip4/0.0.0.0/tcp/4002"], announce: ["/dns4/my.host/tcp/4002"], askPrice: 7n, pricing: { minPrice: 5n } });
    expect(config.market).toBeUndefined();
  });

  it("names the setting and what to do for bad values", () => {
    const dir = temp();
    expect(() => loadConfig({ flags: { dataDir: dir, rpcUrl: "localhost:8545" }, env: {} })).toThrow(/--rpc-url.*http/);
    expect(() => loadConfig({ flags: { dataDir: dir }, env: { ACCORD_MIN_PRICE: "-1" } })).toThrow(InvalidConfigError);
    expect(() => loadConfig({ flags: { dataDir: dir, limit: ["nope=1"] }, env: {} })).toThrow(/names no limit/);
    expect(() => loadConfig({ flags: { dataDir: dir }, env: { ACCORD_FAULT: "explode" } })).toThrow(/^The setting "ACCORD_FAULT" must be one of "wrong-result", "collude", "never-reveal"/);
    expect(() => loadConfig({ flags: { dataDir: dir }, env: {}, requireRpc: true })).toThrow(/What to do: Pass --rpc-url http:\/\/127\.0\.0\.1:8545, set ACCORD_RPC_URL/);
    expect(() => loadConfig({ flags: { dataDir: dir, limit: ["workers=-1"] }, env: {} })).toThrow(/--limit workers.*must be a non-negative number, not "-1"/);
    writeConfigFile(join(dir, "config.json"), { workers: 0 });
    expect(() => loadConfig({ flags: { dataDir: dir }, env: {} })).toThrow(`The setting "workers (in ${join(dir, "config.json")})" must be a positive integer, not 0.`);
  });

  it("takes relay modes and switches as a file or the environment gives them", () => {
    const dir = temp();
    writeConfigFile(join(dir, "config.json"), { relay: false, privateAddresses: false });
    expect(loadConfig({ flags: { dataDir: dir }, env: {} }).config).toMatchObject({ relay: "off", privateAddresses: false });
    expect(loadConfig({ flags: { dataDir: dir }, env: { ACCORD_RELAY: "on", ACCORD_PRIVATE_ADDRESSES: "true" } }).config).toMatchObject({ relay: "on", privateAddresses: true });
    expect(() => loadConfig({ flags: { dataDir: dir }, env: { ACCORD_RELAY: "maybe" } })).toThrow(/ACCORD_RELAY" must be one of "auto", "on", "off", not "maybe"/);
  });

  it("refuses a config file with unknown settings or a private key in it", () => {
    const dir = temp();
    writeFileSync(join(dir, "config.json"), JSON.stringify({ rpcUrl: "http://127.0.0.1:1", rpcURL: "typo" }));
    expect(() => loadConfig({ flags: { dataDir: dir }, env: {} })).toThrow(/unknown setting.*rpcURL/);
    writeFileSync(join(dir, "config.json"), JSON.stringify({ privateKey: "0x01" }));
    expect(() => loadConfig({ flags: { dataDir: dir }, env: {} })).toThrow(/private key.*key file/);
    writeFileSync(join(dir, "config.json"), "{ not json");
    expect(() => loadConfig({ flags: { dataDir: dir }, env: {} })).toThrow(/not valid JSON/);
  });
});

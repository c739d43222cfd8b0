import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContractRevertedError } from "../chain/revert.ts";
import { NoBidsError } from "../actions/errors.ts";
import { randomBytes } from "node:crypto";
import { x25519 } from "@noble/curves/ed25519.js";
import { ConfigFileError, InvalidPrivateKeyError, SecretFileError } from "../config/errors.ts";
import { CliConfigError, loadOrCreateResultKey, resolveConfig, x25519PublicKey } from "./config.ts";
import { EXIT, exitCodeFor } from "./exitCodes.ts";

const dir = await mkdtemp(join(tmpdir(), "accord-cli-"));
afterAll(() => rm(dir, { recursive: true, force: true }));
const KEY = `0x${"ab".repeat(32)}`;
/** The error thrown is a `name` whose whole text matches `message`. */
const failure = (name: string, message: RegExp) => expect.objectContaining({ name, message: expect.stringMatching(message) });

describe("CLI configuration", () => {
  it("takes flags over the environment over the config file", async () => {
    const path = join(dir, "config.json");
    await writeFile(path, JSON.stringify({ rpcUrl: "http://127.0.0.1:1111", chainId: 7, jobMarket: "0x0000000000000000000000000000000000000001" }));
    expect(resolveConfig({ config: path }, {})).toMatchObject({ rpcUrl: "http://127.0.0.1:1111", chainId: 7 });
    expect(resolveConfig({ config: path }, { ACCORD_RPC_URL: "http://127.0.0.1:2222" }).rpcUrl).toBe("http://127.0.0.1:2222");
    expect(resolveConfig({ config: path, rpcUrl: "http://127.0.0.1:3333" }, { ACCORD_RPC_URL: "http://127.0.0.1:2222" }).rpcUrl).toBe("http://127.0.0.1:3333");
    expect(resolveConfig({ config: path }, {}).dataDir).toBe(join(dir, "node"));
    expect(resolveConfig({ config: path }, { ACCORD_CHAIN_ID: "8" }).sources).toMatchObject({ rpcUrl: "file", chainId: "env", jobMarket: "file", dataDir: "default" });
  });

  it("words a bad setting with the CLI's flag, or the variable or file that gave it", async () => {
    const path = join(dir, "bad-chain.json");
    await writeFile(path, JSON.stringify({ chainId: "seven" }));
    const none = join(dir, "none.json");
    expect(() => resolveConfig({ config: path }, {})).toThrow(failure("CliConfigError", /^`chainId` in \S+bad-chain.json must be a positive integer, not "seven"\./));
    expect(() => resolveConfig({ config: none, market: "0x12" }, {})).toThrow(failure("CliConfigError", /^--market must be a 0x-prefixed 20-byte address.*\nWhat to do: Give --market a valid value, e\.g\. 0x/s));
    expect(() => resolveConfig({ config: none }, { ACCORD_RPC_URL: "localhost:8545" })).toThrow(failure("CliConfigError", /^ACCORD_RPC_URL must be an http\(s\) or ws\(s\) URL/));
  });

  it("reads the key from a key file and never repeats a malformed key in its error", async () => {
    await writeFile(join(dir, "key"), `${KEY}\n`, { mode: 0o600 });
    expect(resolveConfig({ config: join(dir, "none.json"), keyFile: join(dir, "key") }, {}).privateKey).toBe(KEY);
    const secret = `0x${"cd".repeat(31)}`;
    const resolve = () => resolveConfig({ config: join(dir, "none.json") }, { ACCORD_PRIVATE_KEY: secret });
    expect(resolve).toThrow(failure("InvalidPrivateKeyError", /^ACCORD_PRIVATE_KEY does not hold a private key/));
    expect(resolve).not.toThrow(secret.slice(2));
  });

  it("refuses a key file or a result key file that others can read, and leaves its mode alone", async () => {
    const keyFile = join(dir, "open.key");
    await writeFile(keyFile, `${KEY}\n`, { mode: 0o644 });
    await chmod(keyFile, 0o644);
    expect(() => resolveConfig({ config: join(dir, "none.json"), keyFile }, {})).toThrow(failure("SecretFileError", /can be read by other users \(mode 644\)[\s\S]*`chmod 600 \S+open.key`/));
    const resultKey = join(dir, "open-result.key");
    loadOrCreateResultKey(resultKey);
    await chmod(resultKey, 0o640);
    expect(() => loadOrCreateResultKey(resultKey)).toThrow(/can be read by other users \(mode 640\)[\s\S]*chmod 600/);
    expect((await stat(resultKey)).mode & 0o777).toBe(0o640);
  });

  it("refuses a private key in its config file, pointing to a key file", async () => {
    const path = join(dir, "with-key.json");
    await writeFile(path, JSON.stringify({ rpcUrl: "http://127.0.0.1:1111", privateKey: KEY }));
    expect(() => resolveConfig({ config: path }, {})).toThrow(failure("ConfigFileError", /holds a private key[\s\S]*`keyFile`/));
    expect(() => resolveConfig({ config: path }, {})).not.toThrow(KEY.slice(2));
  });

  it("refuses unknown fields in the config file, naming the allowed ones", async () => {
    const path = join(dir, "typo.json");
    await writeFile(path, JSON.stringify({ rpcURL: "x" }));
    expect(() => resolveConfig({ config: path }, {})).toThrow(/unknown setting\(s\) "rpcURL"[\s\S]*known settings: rpcUrl/);
  });

  it("creates the result key once, owner-only, and reads the same key back", async () => {
    const path = join(dir, "result.key");
    const a = loadOrCreateResultKey(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateResultKey(path).publicKeyHex).toBe(a.publicKeyHex);
    expect((await readFile(path, "utf8")).trim()).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("derives a result key's public half as the x25519 curve does (RFC 7748 clamping included)", () => {
    const keys = [new Uint8Array(32), new Uint8Array(32).fill(0xff), ...Array.from({ length: 20 }, () => new Uint8Array(randomBytes(32)))];
    for (const sk of keys) expect(x25519PublicKey(sk)).toEqual(x25519.getPublicKey(sk));
  });

  it("maps outcomes to distinct exit codes", () => {
    expect(exitCodeFor(new NoBidsError(1n, 0, 1, { jobId: 1n, registered: 0, eligible: [], reasons: [] }))).toBe(EXIT.NO_BIDS);
    expect(exitCodeFor(new ContractRevertedError("x", "NotRequester", [], undefined))).toBe(EXIT.REFUSED);
    expect(exitCodeFor(new CliConfigError("x", "y"))).toBe(EXIT.USAGE);
    // The library's configuration errors too: a config file, key file or setting the CLI was given.
    for (const err of [new ConfigFileError("/c.json", "x"), new SecretFileError("/k", "key file", "x"), new InvalidPrivateKeyError("ACCORD_PRIVATE_KEY")]) expect(exitCodeFor(err)).toBe(EXIT.USAGE);
    expect(exitCodeFor(new Error("?"))).toBe(EXIT.ERROR);
  });
});

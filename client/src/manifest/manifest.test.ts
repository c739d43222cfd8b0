import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { cidOfBytes } from "../content/cid.ts";
import { canonicalJson } from "./canonical.ts";
import { MAX_MANIFEST_BYTES } from "./constants.ts";
import { InvalidManifestError } from "./errors.ts";
import { decodeManifest, encodeManifest, manifestCid, manifestSeed, parseManifest } from "./manifest.ts";
import type { Manifest } from "./schema.ts";

const HELLO = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";

function sample(): Manifest {
  return {
    version: 1,
    runtime: "wasi-preview1",
    module: HELLO,
    args: ["prog", "--n", "3"],
    env: { B: "2", A: "1" },
    inputs: { "data/a.txt": HELLO, "b.bin": HELLO },
    limits: { fuel: 1_000_000, memoryPages: 16, stdoutBytes: 1024, stderrBytes: 1024, outputFiles: 4, outputBytes: 4096, wallClockMs: 10_000 },
    resultPublicKey: `0x${"ab".repeat(32)}`,
  };
}

/** Applies `edit` to a fresh sample and returns the error parseManifest throws. */
function rejection(edit: (m: Record<string, any>) => void): InvalidManifestError {
  const m = structuredClone(sample()) as Record<string, any>;
  edit(m);
  try {
    parseManifest(m);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidManifestError);
    return err as InvalidManifestError;
  }
  throw new Error("manifest was accepted");
}

describe("parseManifest", () => {
  it("accepts a complete manifest and keeps its fields", () => {
    const m = parseManifest({ ...sample(), stdin: HELLO, nonce: "run-2" });
    expect(m.limits.fuel).toBe(1_000_000);
    expect(m.nonce).toBe("run-2");
  });

  const cases: Array<[string, (m: Record<string, any>) => void, string, RegExp]> = [
    ["version", (m) => (m.version = 2), "version", /must be 1/],
    ["runtime", (m) => (m.runtime = "wasi-preview2"), "runtime", /wasi-preview1/],
    ["module not a CID", (m) => (m.module = "not-a-cid"), "module", /CIDv1 with sha2-256/],
    ["module in base58 (CIDv0)", (m) => (m.module = "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"), "module", /CIDv1/],
    ["module in base36 spelling", (m) => (m.module = "k2jmtxw8rjh1z69c6not3wd9spn9lk1l3lbuo2oopmjvkrq2e2ve7qn8"), "module", /base32 lowercase|UnixFS/],
    ["module with dag-cbor codec", (m) => (m.module = "bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae"), "module", /UnixFS/],
    ["args not strings", (m) => (m.args = ["a", 3]), "args[1]", /must be a string/],
    ["arg with NUL", (m) => (m.args = ["a\0b"]), "args[0]", /NUL/],
    ["env name with =", (m) => (m.env = { "A=B": "x" }), 'env["A=B"]', /without '='/],
    ["env value not a string", (m) => (m.env = { A: 1 }), "env.A", /must be a string/],
    ["stdin", (m) => (m.stdin = ""), "stdin", /CID/],
    ["input path with ..", (m) => (m.inputs = { "a/../b": HELLO }), 'inputs["a/../b"]', /'\.\.'/],
    ["absolute input path", (m) => (m.inputs = { "/etc/passwd": HELLO }), 'inputs["/etc/passwd"]', /leading '\/'/],
    ["empty segment", (m) => (m.inputs = { "a//b": HELLO }), 'inputs["a//b"]', /empty segments/],
    ["trailing slash", (m) => (m.inputs = { "a/": HELLO }), 'inputs["a/"]', /empty segments/],
    ["empty path", (m) => (m.inputs = { "": HELLO }), 'inputs[""]', /must not be empty/],
    ["file and directory clash", (m) => (m.inputs = { a: HELLO, "a/b": HELLO }), 'inputs["a/b"]', /which is a file/],
    ["input CID", (m) => (m.inputs = { a: "bafy" }), "inputs.a", /CID/],
    ["limits missing", (m) => delete m.limits, "limits", /fuel, memoryPages/],
    ["fuel fractional", (m) => (m.limits.fuel = 1.5), "limits.fuel", /integer number of fuel units/],
    ["fuel zero", (m) => (m.limits.fuel = 0), "limits.fuel", /between 1 and/],
    ["memory pages too many", (m) => (m.limits.memoryPages = 65_537), "limits.memoryPages", /between 1 and 65536/],
    ["stdout negative", (m) => (m.limits.stdoutBytes = -1), "limits.stdoutBytes", /between 0/],
    ["stderr as string", (m) => (m.limits.stderrBytes = "10"), "limits.stderrBytes", /must be a number/],
    ["output files", (m) => (m.limits.outputFiles = 1e9), "limits.outputFiles", /between 0 and 10000/],
    ["output bytes", (m) => (m.limits.outputBytes = 2 ** 40), "limits.outputBytes", /between 0/],
    ["wall clock", (m) => delete m.limits.wallClockMs, "limits.wallClockMs", /must be a number/],
    ["unknown limit", (m) => (m.limits.cpu = 1), "limits", /unknown field\(s\) "cpu"/],
    ["result key uppercase", (m) => (m.resultPublicKey = `0x${"AB".repeat(32)}`), "resultPublicKey", /lowercase hex/],
    ["result key short", (m) => (m.resultPublicKey = "0x1234"), "resultPublicKey", /32-byte/],
    ["nonce too long", (m) => (m.nonce = "x".repeat(257)), "nonce", /at most 256 bytes/],
    ["nonce lone surrogate", (m) => (m.nonce = "\ud800"), "nonce", /well-formed Unicode/],
    ["unknown top-level field", (m) => (m.priority = 1), "(manifest)", /unknown field\(s\) "priority"/],
  ];
  for (const [name, edit, field, rule] of cases) {
    it(`rejects ${name} naming ${field}`, () => {
      const err = rejection(edit);
      expect(err.field).toBe(field);
      expect(err.rule).toMatch(rule);
      expect(err.message).toContain(field);
    });
  }

  it("rejects a value that is not an object", () => {
    for (const v of ["{}", 1, null, [sample()]]) {
      expect(() => parseManifest(v)).toThrow(InvalidManifestError);
      expect(() => parseManifest(v)).toThrow(/\(manifest\) must be a JSON object/);
    }
  });

  it("reports every broken rule, not just the first", () => {
    const err = rejection((m) => {
      m.version = 9;
      m.limits.fuel = -1;
    });
    expect(err.issues.map((i) => i.field).sort()).toEqual(["limits.fuel", "version"]);
  });
});

describe("canonical encoding", () => {
  it("sorts keys at every depth and has no whitespace", () => {
    const text = new TextDecoder().decode(encodeManifest(sample()));
    expect(text).not.toMatch(/\s/);
    expect(text.startsWith('{"args":["prog","--n","3"],"env":{"A":"1","B":"2"},"inputs":{"b.bin"')).toBe(true);
    expect(text.indexOf('"limits"')).toBeLessThan(text.indexOf('"module"'));
    expect(text.indexOf('"fuel"')).toBeLessThan(text.indexOf('"memoryPages"'));
  });

  it("gives the same bytes whatever the key order of the input", () => {
    const m = sample();
    const reversed = Object.fromEntries(Object.entries(m).reverse()) as Manifest;
    expect(encodeManifest(reversed)).toEqual(encodeManifest(m));
  });

  it("round-trips through decodeManifest", () => {
    const m = { ...sample(), nonce: "é ✓" };
    expect(decodeManifest(encodeManifest(m))).toEqual(parseManifest(m));
  });

  it("refuses bytes that are valid JSON but not canonical", () => {
    const pretty = new TextEncoder().encode(JSON.stringify(parseManifest(sample()), null, 1));
    expect(() => decodeManifest(pretty)).toThrow(/not in canonical form/);
  });

  it("refuses bytes that are not UTF-8 JSON, and oversize bytes", () => {
    expect(() => decodeManifest(new Uint8Array([0xff, 0xfe]))).toThrow(/not UTF-8 JSON/);
    expect(() => decodeManifest(new Uint8Array(MAX_MANIFEST_BYTES + 1))).toThrow(/more than the/);
  });

  it("refuses numbers that are not safe integers", () => {
    expect(() => canonicalJson({ a: 0.5 })).toThrow(/not a safe integer/);
  });
});

describe("manifest CID and seed", () => {
  it("is the content layer's CID of the canonical bytes", async () => {
    const m = sample();
    const cid = await manifestCid(m);
    expect(cid.equals(await cidOfBytes(encodeManifest(m)))).toBe(true);
    expect(cid.toString()).toMatch(/^bafkrei/);
  });

  it("seeds the PRNG with sha-256 of the CID bytes, and a nonce changes it", async () => {
    const cid = await manifestCid(sample());
    expect(manifestSeed(cid)).toEqual(sha256(cid.bytes));
    const other = await manifestCid({ ...sample(), nonce: "2" });
    expect(other.equals(cid)).toBe(false);
    expect(manifestSeed(other)).not.toEqual(manifestSeed(cid));
  });
});

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidModuleError } from "../sandbox/errors.ts";
import { generateResultKey } from "../seal/seal.ts";
import { dryRun } from "./dryRun.ts";
import { prepareJob } from "./internal/jobContent.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/wasm");
const key = generateResultKey();
const limits = { fuel: 50_000_000, memoryPages: 64, wallClockMs: 10_000 };

describe("dryRun", () => {
  it("runs the manifest in the local sandbox and names the result CID providers will commit to", async () => {
    const module = new Uint8Array(await readFile(join(FIXTURES, "sort.wasm")));
    const spec = { module, inputs: { "data.txt": new TextEncoder().encode("b\nc\na\n") }, limits };
    const r = await dryRun({ resultKey: key }, spec);
    expect(r.exitCode).toBe(0);
    expect(new TextDecoder().decode(r.files["sorted.txt"])).toBe("a\nb\nc\n");
    expect(r.fuelUsed).toBeGreaterThan(0);
    // The manifest is the one submitJob would post, so the same job gives the same CIDs.
    const prepared = await prepareJob(spec, key.publicKeyHex);
    expect(r.manifestCid.toString()).toBe(prepared.manifestCid.toString());
    const again = await dryRun({ resultKey: key }, spec);
    expect(again.resultCid.toString()).toBe(r.resultCid.toString());
    // Another nonce is another manifest, though this program's result does not depend on its seed.
    const other = await dryRun({ resultKey: key }, { ...spec, nonce: "2" });
    expect(other.manifestCid.toString()).not.toBe(r.manifestCid.toString());
  });

  it("reports a trap or the fuel running out as a result, not an error", async () => {
    const module = new Uint8Array(await readFile(join(FIXTURES, "loop.wasm")));
    const r = await dryRun({ resultKey: key }, { module, limits: { ...limits, fuel: 100_000 } });
    expect(r.status).toEqual({ kind: "trap", trap: "out_of_fuel" });
    expect(r.exitCode).toBeUndefined();
  });

  it("refuses a module the sandbox cannot run, saying why", async () => {
    const module = new Uint8Array(await readFile(join(FIXTURES, "badimport.wasm")));
    const err = await dryRun({ resultKey: key }, { module, limits }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidModuleError);
    expect(err.fix).toMatch(/wasi_snapshot_preview1/);
  });
});

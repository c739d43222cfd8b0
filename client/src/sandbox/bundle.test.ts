import { describe, expect, it } from "vitest";
import { decodeResultBundle, encodeResultBundle, resultCid } from "./bundle.ts";
import { InvalidResultBundleError } from "./errors.ts";
import { text } from "./testing.ts";
import type { ResultBundle } from "./types.ts";
import * as dagCbor from "@ipld/dag-cbor";

const bundle: ResultBundle = {
  status: { kind: "exit", code: 0 },
  fuelUsed: 12_345,
  stdout: text("out"),
  stderr: text(""),
  files: { "z.txt": text("z"), "a/b.bin": new Uint8Array([1, 2, 3]) },
};

describe("result bundle", () => {
  it("round-trips and ignores the order files were written in", async () => {
    const bytes = encodeResultBundle(bundle);
    expect(decodeResultBundle(bytes)).toEqual(bundle);
    const reordered = { ...bundle, files: { "a/b.bin": new Uint8Array([1, 2, 3]), "z.txt": text("z") } };
    expect(encodeResultBundle(reordered)).toEqual(bytes);
    expect((await resultCid(reordered)).toString()).toBe((await resultCid(bundle)).toString());
  });

  it("has a CID that changes with any field", async () => {
    const base = (await resultCid(bundle)).toString();
    expect(base.startsWith("bafkrei")).toBe(true);
    expect((await resultCid({ ...bundle, fuelUsed: 12_346 })).toString()).not.toBe(base);
    expect((await resultCid({ ...bundle, status: { kind: "trap", trap: "out_of_fuel" } })).toString()).not.toBe(base);
  });

  it("refuses non-canonical or unknown shapes", () => {
    expect(() => decodeResultBundle(new Uint8Array([0xff]))).toThrow(InvalidResultBundleError);
    const extra = dagCbor.encode({ ...dagCbor.decode<object>(encodeResultBundle(bundle)), extra: 1 });
    expect(() => decodeResultBundle(extra)).toThrow(/fields/);
    const badTrap = dagCbor.encode({ ...dagCbor.decode<object>(encodeResultBundle(bundle)), status: { kind: "trap", trap: "segfault" } });
    expect(() => decodeResultBundle(badTrap)).toThrow(/status/);
  });
});

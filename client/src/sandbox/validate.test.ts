import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, MAX_MODULE_BYTES } from "./constants.ts";
import {
  InvalidJobError, MalformedModuleError, MemoryLimitError, MissingExportError, ModuleTooLargeError,
  UnsupportedFeatureError, UnsupportedImportError,
} from "./errors.ts";
import { checkJob } from "./job.ts";
import { fixture, job } from "./testing.ts";
import { validateModule } from "./validate.ts";
import { Writer } from "./wasm/reader.ts";

/** A minimal command module around one function body, for opcodes clang does not emit. */
function commandWith(body: number[], opts: { memory?: number[] } = {}): Uint8Array {
  const w = new Writer();
  w.bytes([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const section = (id: number, payload: number[]) => w.byte(id).u32(payload.length).bytes(payload);
  section(1, [1, 0x60, 0, 0]); // type 0: () -> ()
  section(3, [1, 0]);
  section(5, [1, ...(opts.memory ?? [0x00, 1])]);
  const exp = [2, 6, ..."_start"].map((c) => (typeof c === "string" ? c.charCodeAt(0) : c));
  section(7, [...exp, 0, 0, 6, ..."memory".split("").map((c) => c.charCodeAt(0)), 2, 0]);
  const fn = [0, ...body, 0x0b];
  section(10, [1, fn.length, ...fn]);
  return w.finish();
}

describe("validateModule", () => {
  it("accepts a WASI command and reports what it imports", () => {
    const info = validateModule(fixture("echo"), DEFAULT_LIMITS);
    expect(info.imports).toContain("fd_write");
    expect(info.imports.every((n) => !n.startsWith("sock_"))).toBe(true);
    expect(info.hasStart).toBe(false);
  });

  it("refuses a truncated module as malformed", () => {
    const bytes = fixture("sha256");
    expect(() => validateModule(bytes.subarray(0, bytes.length >> 1), DEFAULT_LIMITS)).toThrow(MalformedModuleError);
    expect(() => validateModule(bytes.subarray(0, 6), DEFAULT_LIMITS)).toThrow(/not a well-formed/);
  });

  it("refuses bytes that are not wasm", () => {
    expect(() => validateModule(new TextEncoder().encode("#!/bin/sh\n"), DEFAULT_LIMITS)).toThrow(MalformedModuleError);
  });

  it("names the import it does not provide", () => {
    const err = (() => {
      try {
        validateModule(fixture("badimport"), DEFAULT_LIMITS);
      } catch (e) {
        return e;
      }
    })() as UnsupportedImportError;
    expect(err).toBeInstanceOf(UnsupportedImportError);
    expect(err.module).toBe("env");
    expect(err.field).toBe("host_secret");
    expect(err.message).toContain('"env"."host_secret"');
    expect(err.fix).toBeTruthy();
  });

  it("refuses a module too large before parsing it", () => {
    expect(() => validateModule(new Uint8Array(MAX_MODULE_BYTES + 1), DEFAULT_LIMITS)).toThrow(ModuleTooLargeError);
  });

  it("refuses a reactor, which never calls _start", () => {
    expect(() => validateModule(fixture("reactor"), DEFAULT_LIMITS)).toThrow(MissingExportError);
  });

  it("refuses a memory that starts above the cap", () => {
    expect(() => validateModule(fixture("echo"), { memoryPages: 1 })).toThrow(MemoryLimitError);
  });

  it("accepts a hand-built command and rejects the features it cannot meter soundly", () => {
    expect(validateModule(commandWith([0x01]), DEFAULT_LIMITS).functions).toBe(1);
    // i32.atomic.load (0xFE 0x10) needs shared memory: threads are refused.
    expect(() => validateModule(commandWith([0x41, 0, 0xfe, 0x10, 2, 0, 0x1a], { memory: [0x03, 1, 1] }), DEFAULT_LIMITS)).toThrow(UnsupportedFeatureError);
    // return_call (tail calls) cannot carry the stack budget.
    expect(() => validateModule(commandWith([0x12, 0]), DEFAULT_LIMITS)).toThrow(/tail calls/);
    // relaxed SIMD is nondeterministic by design: f32x4.relaxed_madd is 0xFD 0x105.
    const relaxed = [0xfd, 12, ...new Array(16).fill(0), 0xfd, 12, ...new Array(16).fill(0), 0xfd, 12, ...new Array(16).fill(0), 0xfd, 0x85, 0x02, 0x1a];
    expect(() => validateModule(commandWith(relaxed), DEFAULT_LIMITS)).toThrow(/relaxed SIMD/);
    // memory64 (limits flag 0x04).
    expect(() => validateModule(commandWith([0x01], { memory: [0x04, 1] }), DEFAULT_LIMITS)).toThrow(/64-bit/);
  });
});

describe("checkJob", () => {
  it("refuses bad seeds, env and limits with what to do", () => {
    expect(() => checkJob(job("echo", { seed: new Uint8Array(31) }))).toThrow(/seed must be 32 bytes/);
    expect(() => checkJob(job("echo", { env: { "A=B": "x" } }))).toThrow(InvalidJobError);
    expect(() => checkJob(job("echo", { limits: { fuel: 0 } }))).toThrow(/limits.fuel is 0/);
    expect(() => checkJob(job("echo", { limits: { memoryPages: 1.5 } }))).toThrow(/memoryPages/);
    expect(() => checkJob(job("echo"))).not.toThrow();
  });
});

/** The metering pass: NaN canonicalisation where bits become observable, and exact fuel. */
import { afterAll, describe, expect, it } from "vitest";
import { encodeResultBundle } from "./bundle.ts";
import { executeModule } from "./execute.ts";
import type { NanMode } from "./instrument.ts";
import { CANON, nanCanonicalisation } from "./instrument/nan.ts";
import { createSandboxPool } from "./pool.ts";
import { job, type JobOverrides, text } from "./testing.ts";
import type { SandboxJob } from "./types.ts";
import { prepareModule } from "./validate.ts";
import { Reader } from "./wasm/reader.ts";

const pool = createSandboxPool({ size: 1 });
afterAll(() => pool.close());

/** 8-byte little-endian words as hex, most significant byte first. */
const words = (b: Uint8Array) => Array.from({ length: b.length / 8 }, (_, i) => Buffer.from(b.subarray(i * 8, i * 8 + 8)).reverse().toString("hex"));

describe("NaN canonicalisation", () => {
  it("stores canonical bits for arithmetic NaNs wherever they travel, and leaves loaded NaNs alone", async () => {
    // See client/fixtures/wasm/nanflow.wat for each case. Uninstrumented on x86, cases
    // 0, 2, 4, 6, 8-14 come out differently (negative default NaN, propagated payloads).
    const r = await pool.run(job("nanflow"));
    expect(r.status).toEqual({ kind: "exit", code: 0 });
    expect(words(r.stdout)).toEqual([
      "7ff8000000000000", // 0: made in a loop, carried in a local, stored through a copy
      "7ff4000000c0ffee", // 1: loaded bits in a local
      "7ff8000000000000", // 2: the same local, now an arithmetic NaN (boxed + 1)
      "7ff4000000c0ffee", // 3: the same local, loaded bits again
      "fff8000000000000", // 4: neg of an arithmetic NaN
      "7ff8000000000000", // 5: abs of that
      "7ff8000000000000", // 6: select picking the arithmetic NaN
      "7ff4000000c0ffee", // 7: select picking the loaded NaN
      "3ff0000000000000", // 8: copysign(1, NaN) = +1
      "7ff8000000000000", // 9: reinterpret
      "7ff8000000000000", // 10: returned by a call
      "7ff8000000000000", // 11: through a global
      "7ff8000000000000", // 12: a block result
      "000000007fc00000", // 13: f32, kept in a local across a loop
      "fff8000000000000", // 14: neg of a promoted NaN
      "7ff4000000c0ffee", // 15: loaded bits in a local that held a compared-only NaN
    ]);
  });

  // Instruction streams for the analysis alone: ops, plus each one's immediate (a local or depth).
  const analyse = (prog: [number, number?][], types: number[]) => {
    const ops = prog.map(([op]) => op);
    const imm = (k: number) => new Reader(Uint8Array.of(prog[k]![1] ?? 0), 0, 1);
    return Array.from(nanCanonicalisation(ops, imm, Uint8Array.from(types)));
  };
  const F64 = 0x7c;
  // loop { l1 = l0 / l0; drop(l1 * l1); br_if 0 (l2) } ... then `tail`
  const loopThen = (tail: [number, number?][]): [number, number?][] => [
    [0x03], [0x20, 0], [0x20, 0], [0xa3], [0x21, 1], [0x20, 1], [0x20, 1], [0xa2], [0x1a], [0x20, 2], [0x0d, 0], [0x0b],
    ...tail, [0x0b],
  ];

  it("does not canonicalise a local's NaN that is only ever consumed by arithmetic", () => {
    expect(analyse(loopThen([]), [F64, F64, 0x7f]).every((c) => c === CANON.none)).toBe(true);
  });

  it("canonicalises where the local is written when a later read is observed", () => {
    // after the loop: i32.const 0; local.get 1; f64.store
    const canon = analyse(loopThen([[0x41], [0x20, 1], [0x39]]), [F64, F64, 0x7f]);
    expect(canon[3]).toBe(CANON.f64); // the division, before it is written to local 1
    expect(canon.filter((c) => c !== CANON.none)).toHaveLength(1);
  });

  it("never canonicalises where a local is read, which may hold loaded bits", () => {
    // local 1 = load; store(local 1) after the loop that also writes an arithmetic NaN into it
    const canon = analyse(loopThen([[0x41], [0x20, 1], [0x39]]).toSpliced(0, 0, [0x41], [0x2b], [0x21, 1]), [F64, F64, 0x7f]);
    expect(canon.map((c, k) => (c ? k : -1)).filter((k) => k >= 0)).toEqual([6]); // only the division
  });
});

describe("fuel", () => {
  it("charges a loop with an if/else exactly, and runs out at exactly the limit", async () => {
    // client/fixtures/wasm/fuelloop.wat: 3 + 1000 * (4 + 6) + 500 * 2 + 500 * 3 + 1.
    const r = await pool.run(job("fuelloop"));
    expect(r.status).toEqual({ kind: "exit", code: 0 });
    expect(r.fuelUsed).toBe(12_504);
    const short = await pool.run(job("fuelloop", { limits: { fuel: 12_503 } }));
    expect(short.status).toEqual({ kind: "trap", trap: "out_of_fuel" });
    expect(short.fuelUsed).toBe(12_503);
    expect((await pool.run(job("fuelloop", { limits: { fuel: 12_504 } }))).status).toEqual({ kind: "exit", code: 0 });
  });
});

describe("optimistic NaN mode", () => {
  const compile = (j: SandboxJob, nan: NanMode) => {
    const { instrumented } = prepareModule(j.module, j.limits, nan);
    return { module: new WebAssembly.Module(instrumented.bytes as Uint8Array<ArrayBuffer>), hasStart: instrumented.hasStart };
  };
  /** Runs `j` in this thread as a worker does (optimistic, exact on NaN_DETECTED) and exact only. */
  const both = async (j: SandboxJob) => {
    const exact = compile(j, "exact");
    let reruns = 0;
    const fast = await executeModule({ ...compile(j, "optimistic"), job: j, exact: async () => (reruns++, exact.module) });
    const slow = await executeModule({ ...exact, job: j });
    return { fast, reruns, same: Buffer.from(encodeResultBundle(fast)).equals(Buffer.from(encodeResultBundle(slow))) };
  };
  const hex = (b: Uint8Array) => Buffer.from(b).reverse().toString("hex");

  it("gives the exact mode's bundle byte for byte on every fixture, repeating only runs whose NaNs show", async () => {
    const jobs: [string, JobOverrides, number][] = [
      ["echo", { stdin: text("hi\n") }, 0], ["sha256", { args: ["sha256", "/input/d"], inputs: { d: text("abc") } }, 0],
      ["sort", { inputs: { "data.txt": text("b\na\n") } }, 0], ["clockrand", {}, 0], ["fuelloop", {}, 0],
      ["loop", { limits: { fuel: 1_000_000 } }, 0], ["traps", { args: ["traps", "conversion"] }, 0],
      ["nbody", { args: ["nbody", "1000"] }, 0], ["nan", {}, 1], ["nanflow", {}, 1],
    ];
    for (const [name, over, reruns] of jobs) {
      const r = await both(job(name, over));
      expect(r.same, name).toBe(true);
      expect(r.reruns, name).toBe(reruns);
    }
  });

  it("repeats the run when a stored NaN's bits are read back before any call", async () => {
    // client/fixtures/wasm/nanwindow.wat: the case is the argument count - 1.
    const expected = ["7ff8000000000000", "0000000000000000", "000000007ff80000"];
    for (const [c, want] of expected.entries()) {
      const r = await both(job("nanwindow", { args: Array(c + 1).fill("x") }));
      expect(r.fast.status, `case ${c}`).toEqual({ kind: "exit", code: 0 });
      expect(hex(r.fast.stdout), `case ${c}`).toBe(want);
      expect([r.same, r.reruns], `case ${c}`).toEqual([true, 1]);
    }
  });

  it("repeats the run when a SIMD NaN's bits reach an integer, memory read as one, or a call", async () => {
    // client/fixtures/wasm/nanwindow-simd.wat: the case is the argument count - 1.
    const expected = ["7ff8000000000000", "7ff8000000000000", "0000000000000000", "000000007fc00000", "0000000000000000", "7ff8000000000000"];
    for (const [c, want] of expected.entries()) {
      const r = await both(job("nanwindow-simd", { args: Array(c + 1).fill("x") }));
      expect(r.fast.status, `case ${c}`).toEqual({ kind: "exit", code: 0 });
      expect(hex(r.fast.stdout), `case ${c}`).toBe(want);
      expect([r.same, r.reruns], `case ${c}`).toEqual([true, 1]);
    }
  });

  it("ends a run that traps or runs out of fuel with an unchecked NaN in memory exactly as the exact mode does", async () => {
    const trap = await both(job("nanwindow", { args: Array(4).fill("x") }));
    expect(trap.fast.status).toEqual({ kind: "trap", trap: "memory_out_of_bounds" });
    expect([trap.same, trap.reruns]).toEqual([true, 0]);
    for (const fuel of [1_000, 1_001, 50_000]) {
      const r = await both(job("nanwindow", { args: Array(5).fill("x"), limits: { fuel } }));
      expect(r.fast.status).toEqual({ kind: "trap", trap: "out_of_fuel" });
      expect(r.fast.fuelUsed).toBe(fuel);
      expect([r.same, r.reruns]).toEqual([true, 0]);
    }
  });
});

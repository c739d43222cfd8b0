/**
 * The fuel rule (docs/PROTOCOL.md "Metering (fuel)"): segments charge where they start, the
 * fuel is checked at loop headers, calls and returns, and a trap before the next check wins.
 * Also that hoisting charges (instrument/fuel.ts planCharges) and spreading NaN accumulators
 * change no result. Modules are assembled here, byte by byte.
 */
import { describe, expect, it } from "vitest";
import { encodeResultBundle } from "./bundle.ts";
import { executeModule } from "./execute.ts";
import { instrumentModule, type NanMode } from "./instrument.ts";
import { planCharges } from "./instrument/fuel.ts";
import { job } from "./testing.ts";
import type { ResultBundle, SandboxJob } from "./types.ts";
import { parseModule } from "./wasm/module.ts";
import { readInstruction } from "./wasm/opcodes.ts";
import { Reader } from "./wasm/reader.ts";

// --- a tiny assembler -------------------------------------------------------------------
const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const sleb = (v: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

const block = 0x02, loop = 0x03, if_ = 0x04, else_ = 0x05, end = 0x0b, nop = 0x01, drop = 0x1a, ret = 0x0f;
const br = (d: number) => [0x0c, ...uleb(d)];
const brIf = (d: number) => [0x0d, ...uleb(d)];
const brTable = (ds: number[], def: number) => [0x0e, ...uleb(ds.length), ...ds.flatMap(uleb), ...uleb(def)];
const call = (f: number) => [0x10, ...uleb(f)];
const get = (l: number) => [0x20, ...uleb(l)];
const set = (l: number) => [0x21, ...uleb(l)];
const tee = (l: number) => [0x22, ...uleb(l)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const f64 = (v: number) => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)];
const nops = (n: number) => Array<number>(n).fill(nop);
const ARGC = 0, I = 1; // locals of _start: the argument count, a loop counter
/** argc == v, as an i32 on the stack */
const argcIs = (v: number) => [...get(ARGC), ...i32(v), 0x46];
const divByZero = [...i32(1), ...i32(0), 0x6e, drop];

/**
 * A WASI command: imports args_sizes_get (function 0) and fd_write (1); function 2 is
 * `_start`, which stores argc in local 0 and runs `body`; function 3 is a helper of 3 nops.
 * Locals of _start: 2 i32 (argc, i), 2 f64.
 */
function command(body: number[]): Uint8Array {
  const types = section(1, vec([[0x60, 0, 0], [0x60, 2, 0x7f, 0x7f, 1, 0x7f], [0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f]]));
  const imports = section(2, vec([[...name("wasi_snapshot_preview1"), ...name("args_sizes_get"), 0, 1], [...name("wasi_snapshot_preview1"), ...name("fd_write"), 0, 2]]));
  const funcs = section(3, vec([[0], [0]]));
  const memory = section(5, vec([[0, 1]]));
  const exports = section(7, vec([[...name("memory"), 2, 0], [...name("_start"), 0, 2]]));
  const prologue = [...i32(0), ...i32(4), ...call(0), drop, ...i32(0), 0x28, 2, 0, ...set(ARGC)];
  const start = [...vec([[2, 0x7f], [2, 0x7c]]), ...prologue, ...body, end];
  const helper = [0, nop, nop, nop, end];
  const code = section(10, vec([[...uleb(start.length), ...start], [...uleb(helper.length), ...helper]]));
  return Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...types, ...imports, ...funcs, ...memory, ...exports, ...code]);
}

/** Writes memory[0..len) to stdout (iovec at 1024). */
const writeOut = (len: number) => [...i32(1024), ...i32(0), 0x36, 2, 0, ...i32(1028), ...i32(len), 0x36, 2, 0, ...i32(1), ...i32(1024), ...i32(1), ...i32(1040), ...call(1), drop];

const compile = (bytes: Uint8Array, opts: { nan?: NanMode; mergeCharges?: boolean } = {}) => {
  const inst = instrumentModule(parseModule(bytes), { memoryPages: 1, ...opts });
  return { module: new WebAssembly.Module(inst.bytes as Uint8Array<ArrayBuffer>), hasStart: inst.hasStart };
};
// Built once: job() reads its fixture from disk, and the sweep below makes some 18,000 jobs.
const BASE_JOB = job("echo");
const runJob = (bytes: Uint8Array, args: number, fuel: number): SandboxJob => ({ ...BASE_JOB, module: bytes, args: Array(args).fill("x"), limits: { ...BASE_JOB.limits, fuel, memoryPages: 1 } });
const summary = (r: ResultBundle) => ({ status: r.status, fuelUsed: r.fuelUsed });

/** Runs `body` in a segment of its own, after the prologue's host call (itself a check point). */
const overdraw = (body: number[]) => [...i32(1), if_, 0x40, ...body, end];

describe("fuel checks", () => {
  it("ends a run that overdraws in forward code at the next check with out_of_fuel and fuelUsed = limits.fuel", async () => {
    // The then-segment (100 nops and what follows) is charged when it starts, unchecked; the
    // check comes at the call, the loop header, the return or the function's end.
    for (const tail of [call(3), [loop, 0x40, end], [ret], []]) {
      const bytes = command(overdraw([...nops(100), ...tail]));
      const m = compile(bytes);
      const full = await executeModule({ ...m, job: runJob(bytes, 1, 10_000) });
      expect(full.status).toEqual({ kind: "exit", code: 0 });
      for (const fuel of [1, full.fuelUsed - 100, full.fuelUsed - 1]) {
        const r = await executeModule({ ...m, job: runJob(bytes, 1, fuel) });
        expect(summary(r)).toEqual({ status: { kind: "trap", trap: "out_of_fuel" }, fuelUsed: fuel });
      }
      expect(summary(await executeModule({ ...m, job: runJob(bytes, 1, full.fuelUsed) }))).toEqual(summary(full));
    }
  });

  it("lets a trap between the charge that overdrew and the next check end the run, with the fuel as of the last call", async () => {
    const bytes = command(overdraw([...nops(10), ...divByZero, ...nops(100), ...call(3)]));
    const m = compile(bytes);
    const spare = summary(await executeModule({ ...m, job: runJob(bytes, 1, 1_000_000) }));
    expect(spare.status).toEqual({ kind: "trap", trap: "integer_divide_by_zero" });
    // fuelUsed: the prologue's segment and its host call; the then-segment was charged in the
    // function's local, which only calls and returns write back.
    for (const fuel of [spare.fuelUsed, spare.fuelUsed + 1, spare.fuelUsed + 50, spare.fuelUsed + 117]) {
      expect(summary(await executeModule({ ...m, job: runJob(bytes, 1, fuel) }))).toEqual(spare);
    }
    // short of the prologue, the check before its host call ends the run first
    expect(summary(await executeModule({ ...m, job: runJob(bytes, 1, spare.fuelUsed - 70) }))).toEqual({ status: { kind: "trap", trap: "out_of_fuel" }, fuelUsed: spare.fuelUsed - 70 });
  });
});

describe("hoisted charges", () => {
  // Paths picked by the argument count: a branch out of two blocks, a clean if whose tail is
  // hoisted, a br_table, a clean block, a loop whose if calls, a return and a trap.
  const body = [
    block, 0x40, // $out
    block, 0x40, // $a
    ...argcIs(2), ...brIf(0),
    ...nops(3),
    block, 0x40, ...argcIs(3), ...brIf(2), nop, end, // leaves $a and $out: neither is clean
    ...nops(2),
    ...argcIs(4), if_, 0x40, ...nops(2), else_, nop, end,
    nop,
    end,
    ...nops(4),
    block, 0x40, block, 0x40, ...get(ARGC), ...brTable([0, 1, 2], 0), end, ...nops(2), block, 0x40, ...argcIs(7), ...brIf(0), nop, end, nop, end,
    ...i32(5), ...set(I),
    loop, 0x40, ...get(I), ...i32(1), 0x6b, ...tee(I), if_, 0x40, nop, else_, ...call(3), end, ...get(I), ...brIf(0), end,
    ...argcIs(5), if_, 0x40, ret, end,
    ...argcIs(6), if_, 0x40, ...divByZero, end,
    ...nops(2),
    end,
    nop,
  ];
  const bytes = command(body);

  it("hoists some charges in this module", () => {
    const m = parseModule(bytes);
    const b = m.bodies[0]!;
    const r = new Reader(bytes, b.start, b.end);
    for (let g = r.u32(); g > 0; g--) (r.u32(), r.u8());
    const ops: number[] = [], starts: number[] = [], seg = [0];
    for (let depth = 1; depth > 0; ) {
      starts.push(r.pos);
      const op = readInstruction(r, m.types.length);
      ops.push(op);
      seg[seg.length - 1]!++;
      if (op === block || op === loop || op === if_) depth++;
      else if (op === end) depth--;
      if (depth > 0 && (op === loop || op === if_ || op === else_ || op === end)) seg.push(0);
    }
    const planned = planCharges(ops, seg, (k) => new Reader(bytes, starts[k]! + 1, b.end));
    expect(planned.reduce((a, c) => a + c)).toBe(seg.reduce((a, c) => a + c));
    expect(planned.filter((c) => c === 0).length).toBeGreaterThanOrEqual(3);
  });

  it("gives the same status and fuelUsed as charging every segment where it starts, at every fuel limit", async () => {
    const merged = compile(bytes);
    const plain = compile(bytes, { mergeCharges: false });
    const seen = new Set<string>();
    for (let args = 1; args <= 8; args++) {
      const full = await executeModule({ ...plain, job: runJob(bytes, args, 1_000_000) });
      seen.add(JSON.stringify(full.status));
      for (let fuel = 0; fuel <= full.fuelUsed + 1; fuel++) {
        const j = runJob(bytes, args, fuel);
        const a = summary(await executeModule({ ...merged, job: j }));
        const b = summary(await executeModule({ ...plain, job: j }));
        if (JSON.stringify(a) !== JSON.stringify(b)) expect({ args, fuel, ...a }).toEqual({ args, fuel, ...b });
      }
    }
    expect([...seen].sort()).toEqual([JSON.stringify({ kind: "exit", code: 0 }), JSON.stringify({ kind: "trap", trap: "integer_divide_by_zero" })]);
  });

  it("gives the same fuel on two runs", async () => {
    const m = compile(bytes);
    for (let args = 1; args <= 8; args++) {
      const a = await executeModule({ ...m, job: runJob(bytes, args, 300) });
      const b = await executeModule({ ...m, job: runJob(bytes, args, 300) });
      expect(encodeResultBundle(a)).toEqual(encodeResultBundle(b));
    }
  });
});

describe("several NaN accumulators", () => {
  // Four stores of (d * (s+1)) / d per iteration, i = 0..7, d = i - argc: NaNs at iteration
  // argc, each store taking its own accumulator; memory is written to stdout after the loop.
  const D = 2;
  const store = (s: number) => [...i32(8 * s), ...get(D), ...f64(s + 1), 0xa2, ...get(D), 0xa3, 0x39, 3, 0];
  const bytes = command([
    ...i32(0), ...set(I),
    loop, 0x40,
    ...get(I), ...get(ARGC), 0x6b, 0xb7, ...set(D),
    ...store(0), ...store(1), ...store(2), ...store(3),
    ...get(I), ...i32(1), 0x6a, ...tee(I), ...i32(8), 0x48, ...brIf(0),
    end,
    ...writeOut(32),
  ]);

  it("gives the exact mode's bundle byte for byte, rerunning only when a NaN was made", async () => {
    const exact = compile(bytes, { nan: "exact" });
    const optimistic = compile(bytes);
    for (let args = 1; args <= 9; args++) {
      const j = runJob(bytes, args, 100_000);
      let reruns = 0;
      const fast = await executeModule({ ...optimistic, job: j, exact: async () => (reruns++, exact.module) });
      const slow = await executeModule({ ...exact, job: j });
      expect(fast.status).toEqual({ kind: "exit", code: 0 });
      expect(Buffer.from(encodeResultBundle(fast)).equals(Buffer.from(encodeResultBundle(slow))), `args ${args}`).toBe(true);
      expect(reruns, `args ${args}`).toBe(args <= 7 ? 1 : 0);
      if (args === 7) expect(Buffer.from(fast.stdout).toString("hex")).toBe("000000000000f87f".repeat(4)); // canonical NaNs
    }
  });
});

/**
 * The metering pass. It rewrites a validated module so that a run's fuel, call depth and NaN
 * bits depend only on the module and its inputs, never on the machine. Each concern has its
 * own file under instrument/:
 *
 * - fuel.ts: every function body is cut into metered segments that charge a mutable i64
 *   global (a local inside a function); a check at each loop header, call and return that
 *   finds it below zero executes `unreachable`, which the runner reports as `out_of_fuel`.
 * - frame.ts: the deterministic call-stack budget (`stack_overflow`).
 * - nan.ts, canonicalise.ts: NaN results the spec leaves unspecified become the canonical
 *   quiet NaN wherever their bits can be observed, so x86 and ARM agree: either right where
 *   they are made (`nan: "exact"`), or, in the default optimistic module, by detecting that one
 *   was made and repeating the run with the exact module.
 * - limits.ts: memory and table maxima are lowered to the job's cap, so growth fails (returns
 *   -1) at the same point everywhere.
 *
 * This file rewrites the module around the bodies (body.ts): two globals (fuel and stack
 * budget) and their exports, block types for multi-value wrappers, and the start section,
 * which is removed and exported as `__accord_start`, so the runner calls it with fuel set and
 * WASI bound.
 */
import { MAX_TABLE_ELEMENTS, STACK_BUDGET_SLOTS } from "./constants.ts";
import { I32, I64 } from "./instrument/abi.ts";
import { instrumentBody, skipU32 } from "./instrument/body.ts";
import type { NanMode } from "./instrument/canonicalise.ts";
import { rewriteLimits } from "./instrument/limits.ts";
import { EXTERN, type FuncType, type ParsedModule, SECTION, SECTION_ORDER } from "./wasm/module.ts";
import { Reader, Writer } from "./wasm/reader.ts";

export type { NanMode } from "./instrument/canonicalise.ts";
export { FUEL_EXPORT, HOST_OOM, NAN_DETECTED, RESERVED_EXPORT_PREFIX, STACK_EXPORT, STACK_OVERFLOWED, START_EXPORT } from "./instrument/abi.ts";
import { FUEL_EXPORT, STACK_EXPORT, START_EXPORT } from "./instrument/abi.ts";

export type InstrumentOptions = {
  memoryPages: number;
  /** How NaN canonicalisation is emitted (instrument/canonicalise.ts); both give the same results. */
  nan?: NanMode;
  /**
   * false charges every segment where it starts instead of hoisting charges (fuel.ts
   * planCharges): the same results, for tests that check so.
   */
  mergeCharges?: boolean;
};

export type InstrumentedModule = {
  bytes: Uint8Array;
  /** Whether the module had a start function (now exported as START_EXPORT). */
  hasStart: boolean;
  /**
   * Whether the module may end a run with NAN_DETECTED in the stack global, after which the
   * run must be repeated with the module instrumented with `nan: "exact"`.
   */
  nanChecks: boolean;
};

export function instrumentModule(m: ParsedModule, opts: InstrumentOptions): InstrumentedModule {
  const fuelGlobal = m.globalCount;
  const stackGlobal = m.globalCount + 1;
  const extraTypes: FuncType[] = [];
  const blockTypeFor = (results: number[]): number[] => {
    if (results.length === 0) return [0x40];
    if (results.length === 1) return [results[0]!];
    const key = results.join(",");
    let idx = extraTypes.findIndex((t) => t.results.join(",") === key);
    if (idx < 0) idx = extraTypes.push({ params: [], results }) - 1;
    return sleb33(m.types.length + idx);
  };
  const maxArity = Math.max(1, ...m.types.map((t) => Math.max(t.params.length, t.results.length)));

  const code = new Writer(m.bytes.length * 2);
  code.u32(m.bodies.length);
  let nanChecks = false;
  for (let i = 0; i < m.bodies.length; i++) {
    const type = m.types[m.funcTypes[m.importedFuncs + i]!]!;
    const body = instrumentBody(m, i, type, { fuelGlobal, stackGlobal, blockType: blockTypeFor(type.results), maxArity, memoryPages: opts.memoryPages, nan: opts.nan ?? "optimistic", mergeCharges: opts.mergeCharges ?? true });
    nanChecks ||= body.nanChecks;
    code.u32(body.bytes.length).bytes(body.bytes);
  }

  const out = new Writer(m.bytes.length * 2 + 256);
  out.bytes(m.bytes.subarray(0, 8));
  const present = new Set(m.sections.map((s) => s.id));
  const emit = (id: number, payload: Uint8Array) => out.byte(id).u32(payload.length).bytes(payload);
  const emitGlobals = (s?: { start: number; end: number }) => {
    const w = new Writer();
    w.u32(m.globalCount + 2);
    if (s) {
      const r = new Reader(m.bytes, s.start, s.end);
      r.u32();
      w.bytes(m.bytes.subarray(r.pos, s.end));
    }
    w.byte(I64).byte(1).byte(0x42).s64(0n).byte(0x0b); // fuel, set by the runner
    w.byte(I32).byte(1).byte(0x41).s32(STACK_BUDGET_SLOTS).byte(0x0b);
    emit(SECTION.global, w.finish());
  };
  for (const s of m.sections) {
    if (s.id === SECTION.custom || s.id === SECTION.start) continue; // names and debug info do not run
    if (!present.has(SECTION.global) && SECTION_ORDER.indexOf(s.id) > SECTION_ORDER.indexOf(SECTION.global)) {
      emitGlobals();
      present.add(SECTION.global);
    }
    const payload = m.bytes.subarray(s.start, s.end);
    switch (s.id) {
      case SECTION.type: {
        const w = new Writer();
        const r = new Reader(m.bytes, s.start, s.end);
        w.u32(r.u32() + extraTypes.length).bytes(m.bytes.subarray(r.pos, s.end));
        for (const t of extraTypes) w.byte(0x60).u32(0).u32(t.results.length).bytes(t.results);
        emit(s.id, w.finish());
        break;
      }
      case SECTION.table:
        emit(s.id, rewriteLimits(m.tables, MAX_TABLE_ELEMENTS, m.bytes, true));
        break;
      case SECTION.memory:
        emit(s.id, rewriteLimits(m.memories, opts.memoryPages, m.bytes, false));
        break;
      case SECTION.global:
        emitGlobals(s);
        break;
      case SECTION.export: {
        const w = new Writer();
        w.u32(m.exports.length + 2 + (m.start === undefined ? 0 : 1)).bytes(m.bytes.subarray(skipU32(m.bytes, s.start), s.end));
        w.name(FUEL_EXPORT).byte(EXTERN.global).u32(fuelGlobal);
        w.name(STACK_EXPORT).byte(EXTERN.global).u32(stackGlobal);
        if (m.start !== undefined) w.name(START_EXPORT).byte(EXTERN.func).u32(m.start);
        emit(s.id, w.finish());
        break;
      }
      case SECTION.code:
        emit(s.id, code.finish());
        break;
      default:
        emit(s.id, payload);
    }
  }
  return { bytes: out.finish(), hasStart: m.start !== undefined, nanChecks };
}

function sleb33(v: number): number[] {
  const w = new Writer(8);
  w.s64(BigInt(v));
  return [...w.finish()];
}

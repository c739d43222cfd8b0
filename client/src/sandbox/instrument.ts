/**
 * The metering pass. It rewrites a validated module so that a run's fuel, call depth and NaN
 * bits depend only on the module and its inputs, never on the machine:
 *
 * - Fuel: each function body is cut into metered segments at every point control can arrive
 *   from elsewhere (function entry, after `loop`, `if`, `else` and `end`). Each segment begins by
 *   charging its instruction count to a mutable i64 global; if the global drops below zero the
 *   module executes `unreachable`, which the runner reports as `out_of_fuel`. Every loop
 *   iteration passes a loop header, so no code runs unmetered. Bulk memory/table ops and
 *   memory.grow also charge for the bytes they touch, before they run.
 * - Stack: each function charges a static frame estimate to an i32 budget global on entry and
 *   returns it on exit (its body is wrapped in a block and `return` becomes a branch to it). An
 *   exhausted budget sets the global to -1 and traps: `stack_overflow`, always before V8's
 *   native limit (the worker's stack is sized from the budget).
 * - NaN: every float operation whose NaN result the spec leaves unspecified is followed by a
 *   select that replaces any NaN with the canonical positive quiet NaN, so x86 and ARM agree.
 * - Memory and tables: maxima are lowered to the job's cap, so growth fails (returns -1) at
 *   the same point everywhere. The start section is removed and exported as `__accord_start`,
 *   so the runner calls it with fuel set and WASI bound.
 */
import { BYTES_PER_FUEL, FRAME_BASE_SLOTS, MAX_FUNCTION_LOCALS, MAX_TABLE_ELEMENTS, STACK_BUDGET_SLOTS, WASM_PAGE_BYTES } from "./constants.ts";
import { UnsupportedFeatureError } from "./errors.ts";
import { EXTERN, type FuncType, type ParsedModule, SECTION, SECTION_ORDER } from "./wasm/module.ts";
import { F32, F64, FC, FD, NAN_PRODUCING, OP, readInstruction, readValtype, V128 } from "./wasm/opcodes.ts";
import { Reader, Writer } from "./wasm/reader.ts";

export const FUEL_EXPORT = "__accord_fuel";
export const STACK_EXPORT = "__accord_stack";
export const START_EXPORT = "__accord_start";
export const RESERVED_EXPORT_PREFIX = "__accord_";
/** Values of the stack global that tell the runner why the module trapped. */
export const STACK_OVERFLOWED = -1;
export const HOST_OOM = -2;

const I32 = 0x7f;
const I64 = 0x7e;

/** How bulk operations are charged: their count operand shifted into fuel units. */
const BULK_CHARGE = new Map<number, { shl: number } | { shr: number }>([
  [OP.memory_copy, { shr: Math.log2(BYTES_PER_FUEL) }],
  [OP.memory_fill, { shr: Math.log2(BYTES_PER_FUEL) }],
  [OP.memory_init, { shr: Math.log2(BYTES_PER_FUEL) }],
  [OP.memory_grow, { shl: Math.log2(WASM_PAGE_BYTES / BYTES_PER_FUEL) }],
  // Table elements are pointer-sized: charge them as 8 bytes each.
  [OP.table_copy, { shr: Math.log2(BYTES_PER_FUEL / 8) }],
  [OP.table_fill, { shr: Math.log2(BYTES_PER_FUEL / 8) }],
  [OP.table_init, { shr: Math.log2(BYTES_PER_FUEL / 8) }],
  [OP.table_grow, { shr: Math.log2(BYTES_PER_FUEL / 8) }],
]);

/** Instructions that may leave more values on the operand stack than they take. */
const PUSHES_ONE = new Set([0x20, 0x23, 0x41, 0x42, 0x43, 0x44, 0x3f, 0xd0, 0xd2, 0x25, FC | 16, FD | 12]);

export type InstrumentOptions = { memoryPages: number };

export type InstrumentedModule = {
  bytes: Uint8Array;
  /** Whether the module had a start function (now exported as START_EXPORT). */
  hasStart: boolean;
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
  for (let i = 0; i < m.bodies.length; i++) {
    const type = m.types[m.funcTypes[m.importedFuncs + i]!]!;
    const body = instrumentBody(m, i, type, { fuelGlobal, stackGlobal, blockType: blockTypeFor(type.results), maxArity, memoryPages: opts.memoryPages });
    code.u32(body.length).bytes(body);
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
  return { bytes: out.finish(), hasStart: m.start !== undefined };
}

function skipU32(bytes: Uint8Array, pos: number): number {
  while (bytes[pos]! & 0x80) pos++;
  return pos + 1;
}

function sleb33(v: number): number[] {
  const w = new Writer(8);
  w.s64(BigInt(v));
  return [...w.finish()];
}

function rewriteLimits(entries: ParsedModule["memories"], cap: number, bytes: Uint8Array, isTable: boolean): Uint8Array {
  const w = new Writer();
  w.u32(entries.length);
  for (const e of entries) {
    if (isTable) w.byte(bytes[e.start]!); // element type
    const max = Math.min(e.limits.max ?? cap, cap);
    w.byte(0x01).u32(e.limits.min).u32(max);
  }
  return w.finish();
}

type BodyContext = { fuelGlobal: number; stackGlobal: number; blockType: number[]; maxArity: number; memoryPages: number };

function instrumentBody(m: ParsedModule, index: number, type: FuncType, ctx: BodyContext): Uint8Array {
  const { bytes } = m;
  const body = m.bodies[index]!;
  const where = `function ${m.importedFuncs + index}`;
  const r = new Reader(bytes, body.start, body.end);
  const groups = r.u32();
  let localCount = type.params.length;
  for (let g = 0; g < groups; g++) {
    localCount += r.u32();
    readValtype(r, where);
    if (localCount > MAX_FUNCTION_LOCALS) throw new UnsupportedFeatureError(`more than ${MAX_FUNCTION_LOCALS} locals`, where);
  }
  const localsEnd = r.pos;

  // Decode once, remembering each instruction's opcode and where it starts.
  const ops: number[] = [];
  const starts: number[] = [];
  const segCost: number[] = [0];
  let depth = 1;
  let pushes = 0;
  let needs = 0; // bit 1: f32, 2: f64, 4: v128, 8: i32 for bulk ops
  while (depth > 0) {
    if (r.done) r.fail(`${where} ends before its final end`);
    starts.push(r.pos);
    const op = readInstruction(r, m.types.length);
    ops.push(op);
    segCost[segCost.length - 1]!++;
    if (PUSHES_ONE.has(op)) pushes++;
    else if (op === OP.call || op === OP.call_indirect || op === OP.block || op === OP.loop || op === OP.if || op === OP.end) pushes += ctx.maxArity;
    if (op === OP.block || op === OP.loop || op === OP.if) depth++;
    else if (op === OP.end) depth--;
    const nan = NAN_PRODUCING.get(op);
    if (nan) needs |= nan === "f32" ? 1 : nan === "f64" ? 2 : 4;
    if (BULK_CHARGE.has(op)) needs |= 8;
    if (depth > 0 && (op === OP.loop || op === OP.if || op === OP.else || op === OP.end)) segCost.push(0);
  }
  if (r.pos !== body.end) r.fail(`${where} has bytes after its final end`);
  const canon = nanResultsToCanonicalise(ops, (k) => new Reader(bytes, starts[k]! + 1, body.end).u32());

  // Scratch locals, appended so existing local indices do not move.
  let next = localCount;
  const fuelLocal = next++;
  const f32Local = needs & 1 ? next++ : -1;
  const f64Local = needs & 2 ? next++ : -1;
  const v128Local = needs & 4 ? next++ : -1;
  const i32Local = needs & 8 ? next++ : -1;
  const growLocal = needs & 8 ? next++ : -1;
  const frameSlots = FRAME_BASE_SLOTS + localCount + pushes + (next - localCount);
  if (frameSlots > STACK_BUDGET_SLOTS) throw new UnsupportedFeatureError(`a frame larger than the call-stack budget (${frameSlots} slots)`, where);

  const w = new Writer((body.end - body.start) * 2 + 64);
  const extra: number[] = [I64];
  if (f32Local >= 0) extra.push(F32);
  if (f64Local >= 0) extra.push(F64);
  if (v128Local >= 0) extra.push(V128);
  if (i32Local >= 0) extra.push(I32, I32);
  w.u32(groups + extra.length);
  w.bytes(bytes.subarray(skipU32(bytes, body.start), localsEnd));
  for (const t of extra) w.u32(1).byte(t);

  const { fuelGlobal: FG, stackGlobal: SG } = ctx;
  // Fuel lives in a local (a register) inside a function and is written back to the global
  // before every call, on exit and when it runs out; a trap elsewhere reports the fuel as of the
  // last such point, which is just as deterministic.
  const checkFuel = () => {
    // local.tee; i64.const 0; i64.lt_s; if; local.get; global.set; unreachable; end
    w.byte(0x22).u32(fuelLocal).byte(0x42).byte(0).byte(0x53).byte(0x04).byte(0x40);
    w.byte(0x20).u32(fuelLocal).byte(0x24).u32(FG).byte(0x00).byte(0x0b);
  };
  const charge = (cost: number) => {
    w.byte(0x20).u32(fuelLocal).byte(0x42).s64(BigInt(cost)).byte(0x7d); // local.get; i64.const; i64.sub
    checkFuel();
  };
  const saveFuel = () => w.byte(0x20).u32(fuelLocal).byte(0x24).u32(FG);
  const loadFuel = () => w.byte(0x23).u32(FG).byte(0x21).u32(fuelLocal);

  // Stack budget: if (budget <u slots) { budget = -1; unreachable } budget -= slots
  w.byte(0x23).u32(SG).byte(0x41).s32(frameSlots).byte(0x49).byte(0x04).byte(0x40);
  w.byte(0x41).s32(STACK_OVERFLOWED).byte(0x24).u32(SG).byte(0x00).byte(0x0b);
  w.byte(0x23).u32(SG).byte(0x41).s32(frameSlots).byte(0x6b).byte(0x24).u32(SG);
  loadFuel();
  charge(segCost[0]!);
  w.byte(OP.block).bytes(ctx.blockType);

  let seg = 0;
  depth = 1;
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]!;
    const start = starts[k]!;
    const end = k + 1 < ops.length ? starts[k + 1]! : body.end;
    const bulk = BULK_CHARGE.get(op);
    if (bulk) {
      // The count is the top operand: keep it, and charge for it before the op runs.
      w.byte(0x22).u32(i32Local).byte(0x20).u32(fuelLocal).byte(0x20).u32(i32Local).byte(0xad);
      if ("shl" in bulk) w.byte(0x42).s64(BigInt(bulk.shl)).byte(0x86);
      else w.byte(0x42).s64(BigInt(bulk.shr)).byte(0x88);
      w.byte(0x7d);
      checkFuel();
    }
    if (op === OP.return) {
      w.byte(OP.br).u32(depth - 1); // to the wrapper block, so the exit code runs
    } else if (op === OP.call || op === OP.call_indirect) {
      saveFuel(); // the callee (or a WASI host function) charges the global
      w.bytes(bytes.subarray(start, end));
      loadFuel();
    } else {
      w.bytes(bytes.subarray(start, end));
    }
    if (op === OP.memory_grow) {
      // A grow that fails below the cap means the host ran out of memory: machine-dependent,
      // so it must end the run as an error (stack global -2), never become a result.
      w.byte(0x22).u32(growLocal).byte(0x41).s32(-1).byte(0x46).byte(0x04).byte(0x40);
      w.byte(0x3f).byte(0).byte(0xad).byte(0x20).u32(i32Local).byte(0xad).byte(0x7c).byte(0x42).s64(BigInt(ctx.memoryPages)).byte(0x58);
      w.byte(0x04).byte(0x40).byte(0x41).s32(HOST_OOM).byte(0x24).u32(SG).byte(0x00).byte(0x0b);
      w.byte(0x0b).byte(0x20).u32(growLocal);
    }
    if (op === OP.memory_grow) {
      // A grow that fails below the cap means the host ran out of memory: machine-dependent,
      // so it must end the run as an error (stack global -2), never become a result.
      w.byte(0x22).u32(growLocal).byte(0x41).s32(-1).byte(0x46).byte(0x04).byte(0x40);
      w.byte(0x3f).byte(0).byte(0xad).byte(0x20).u32(i32Local).byte(0xad).byte(0x7c).byte(0x42).s64(BigInt(ctx.memoryPages)).byte(0x58);
      w.byte(0x04).byte(0x40).byte(0x41).s32(HOST_OOM).byte(0x24).u32(SG).byte(0x00).byte(0x0b);
      w.byte(0x0b).byte(0x20).u32(growLocal);
    }
    if (op === OP.block || op === OP.loop || op === OP.if) depth++;
    else if (op === OP.end) depth--;
    const nan = canon[k] ? NAN_PRODUCING.get(op) : undefined;
    if (nan === "f32") w.byte(0x22).u32(f32Local).byte(0x43).bytes([0, 0, 0xc0, 0x7f]).byte(0x20).u32(f32Local).byte(0x20).u32(f32Local).byte(0x5b).byte(0x1b);
    else if (nan === "f64") w.byte(0x22).u32(f64Local).byte(0x44).bytes([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]).byte(0x20).u32(f64Local).byte(0x20).u32(f64Local).byte(0x61).byte(0x1b);
    else if (nan) {
      const lane = nan === "f32x4" ? [0, 0, 0xc0, 0x7f] : [0, 0, 0, 0, 0, 0, 0xf8, 0x7f];
      w.byte(0x22).u32(v128Local).byte(0xfd).u32(12);
      for (let i = 0; i < 16 / lane.length; i++) w.bytes(lane);
      w.byte(0x20).u32(v128Local).byte(0x20).u32(v128Local).byte(0xfd).u32(nan === "f32x4" ? 0x41 : 0x47).byte(0xfd).u32(0x52);
    }
    if (depth > 0 && (op === OP.loop || op === OP.if || op === OP.else || op === OP.end)) charge(segCost[++seg]!);
  }
  // The original final `end` closed the wrapper block; give the frame back and close the function.
  saveFuel();
  w.byte(0x23).u32(SG).byte(0x41).s32(frameSlots).byte(0x6a).byte(0x24).u32(SG).byte(0x0b);
  return w.finish();
}

/** Numeric ops (0x45..0xC4) that take one operand; the rest of that range take two. */
const UNARY_NUMERIC = (op: number) =>
  op === 0x45 || op === 0x50 || (op >= 0x67 && op <= 0x69) || (op >= 0x79 && op <= 0x7b) || (op >= 0x8b && op <= 0x91) || (op >= 0x99 && op <= 0x9f) || op >= 0xa7;
/** Ops whose result shows a float's sign or payload bits: their operands must be canonical. */
const OBSERVES_BITS = new Set([0x98, 0xa6, 0xbc, 0xbd]); // copysign, reinterpret
/** abs and neg keep a NaN a NaN and change only its sign: the tag passes through. */
const SIGN_ONLY = new Set([0x8b, 0x8c, 0x99, 0x9a]);

/**
 * Which NaN-producing instructions need their result canonicalised. A scalar result that only
 * ever reaches other NaN-producing ops, comparisons or float-to-int conversions need not be:
 * NaN-ness, unlike the payload, is the same on every machine, and what consumes it is itself
 * canonicalised or does not depend on the payload. A simulation of the operand stack and locals
 * over straight-line code finds those cases; a value that reaches a store, a reinterpret,
 * copysign, a global, a call, control flow or anything not modelled is canonicalised.
 */
function nanResultsToCanonicalise(ops: number[], localIndex: (k: number) => number): Uint8Array {
  const canon = new Uint8Array(ops.length);
  let stack: number[] = []; // instruction index of a pending NaN-producing result, or -1
  const locals = new Map<number, number>(); // local index -> pending instruction index
  const mark = (k: number) => {
    if (k >= 0) canon[k] = 1;
  };
  const flush = () => {
    stack.forEach(mark);
    locals.forEach(mark);
    stack = [];
    locals.clear();
  };
  const pop = () => (stack.length ? stack.pop()! : -1);
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]!;
    const nan = NAN_PRODUCING.get(op);
    if (op >= 0x45 && op <= 0xc4) {
      const operands = UNARY_NUMERIC(op) ? [pop()] : [pop(), pop()];
      if (OBSERVES_BITS.has(op)) operands.forEach(mark);
      stack.push(nan ? k : SIGN_ONLY.has(op) ? operands[0]! : -1);
    } else if (op === 0x20) {
      stack.push(locals.get(localIndex(k)) ?? -1);
    } else if (op === 0x21 || op === 0x22) {
      const v = op === 0x21 ? pop() : (stack[stack.length - 1] ?? -1);
      if (v >= 0) locals.set(localIndex(k), v);
      else locals.delete(localIndex(k));
    } else if (op === 0x23 || (op >= 0x41 && op <= 0x44) || op === 0x3f) {
      stack.push(-1); // global.get, constants, memory.size
    } else if (op >= 0x28 && op <= 0x35) {
      pop(); // load: address in, value out
      stack.push(-1);
    } else if (op >= 0x36 && op <= 0x3e) {
      mark(pop()); // store: the value is observed
      pop();
    } else if (op === 0x1a) {
      pop(); // drop: never observed
    } else if (op === 0x01) {
      // nop
    } else {
      flush();
      if (nan) canon[k] = 1; // SIMD: always canonicalised
    }
  }
  flush();
  return canon;
}

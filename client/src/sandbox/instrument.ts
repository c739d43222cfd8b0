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
  const declared: [number, number][] = [];
  for (let g = 0; g < groups; g++) {
    const count = r.u32();
    localCount += count;
    declared.push([count, readValtype(r, where)]);
    if (localCount > MAX_FUNCTION_LOCALS) throw new UnsupportedFeatureError(`more than ${MAX_FUNCTION_LOCALS} locals`, where);
  }
  const localTypes = new Uint8Array(localCount);
  localTypes.set(type.params);
  for (let g = 0, at = type.params.length; g < declared.length; at += declared[g]![0], g++) localTypes.fill(declared[g]![1], at, at + declared[g]![0]);
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
    if (BULK_CHARGE.has(op)) needs |= 8;
    if (depth > 0 && (op === OP.loop || op === OP.if || op === OP.else || op === OP.end)) segCost.push(0);
  }
  if (r.pos !== body.end) r.fail(`${where} has bytes after its final end`);
  const canon = nanCanonicalisation(ops, (k) => new Reader(bytes, starts[k]! + 1, body.end), localTypes);
  for (const c of canon) needs |= c === CANON.none ? 0 : c <= CANON.f32neg ? 1 : c <= CANON.f64neg ? 2 : 4;

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
    if (op === OP.block || op === OP.loop || op === OP.if) depth++;
    else if (op === OP.end) depth--;
    const c = canon[k]!;
    // x == x ? x : canonical NaN (with the sign a neg/abs after the producer gave it)
    if (c === CANON.f32 || c === CANON.f32neg) w.byte(0x22).u32(f32Local).byte(0x43).bytes([0, 0, 0xc0, c === CANON.f32 ? 0x7f : 0xff]).byte(0x20).u32(f32Local).byte(0x20).u32(f32Local).byte(0x5b).byte(0x1b);
    else if (c === CANON.f64 || c === CANON.f64neg) w.byte(0x22).u32(f64Local).byte(0x44).bytes([0, 0, 0, 0, 0, 0, 0xf8, c === CANON.f64 ? 0x7f : 0xff]).byte(0x20).u32(f64Local).byte(0x20).u32(f64Local).byte(0x61).byte(0x1b);
    else if (c) {
      const lane = c === CANON.f32x4 ? [0, 0, 0xc0, 0x7f] : [0, 0, 0, 0, 0, 0, 0xf8, 0x7f];
      w.byte(0x22).u32(v128Local).byte(0xfd).u32(12);
      for (let i = 0; i < 16 / lane.length; i++) w.bytes(lane);
      w.byte(0x20).u32(v128Local).byte(0x20).u32(v128Local).byte(0xfd).u32(c === CANON.f32x4 ? 0x41 : 0x47).byte(0xfd).u32(0x52);
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

/** What to emit after an instruction: nothing, or a select replacing a NaN result with one of these. */
export const CANON = { none: 0, f32: 1, f32neg: 2, f64: 3, f64neg: 4, f32x4: 5, f64x2: 6 } as const;

/** Slot kinds. KEEP: may be a NaN whose bits are defined (loads, reinterpret, params, globals, call results, canonicalised values). */
const CLEAN = 0, KEEP = 1, DIRTY = 2, DIRTY_NEG = 3;
const isDirty = (k: number) => k === DIRTY || k === DIRTY_NEG;
/** Bounds on the liveness pass (host effort only: past them every dirty local write is canonicalised, which is always sound). */
const MAX_LIVENESS_PASSES = 16;
const MAX_LIVENESS_WORK = 8_000_000;

/**
 * Decides where NaN results get canonicalised, returning a CANON code per instruction (the
 * select goes right after it). NaN-ness is the same on every machine; only the sign and payload
 * of an arithmetic NaN are not. So a DIRTY value (an arithmetic result, perhaps through abs, neg
 * or select) needs fixing only if its bits can be observed: a store, a reinterpret, copysign, a
 * global, a call or return, a value carried across control flow, or anything not modelled here.
 * Arithmetic, comparisons and float-to-int conversions of it need nothing: their results are
 * payload-independent or DIRTY themselves.
 *
 * The protocol's value of a DIRTY NaN is the canonical NaN at its producer, then with any neg or
 * abs after it applied. A DIRTY value is either a non-NaN or exactly that NaN, so fixing it at
 * any later instruction that pushed it gives the same bits as fixing it at the producer.
 *
 * 1. A forward simulation of the operand stack over straight-line code (everything on it is
 *    observed at any control instruction) fixes observed DIRTY values at their pusher, and
 *    records, for each `local.set/tee`, whether it writes a DIRTY value and which locals'
 *    values (through `local.get`) are observed or copied into another local.
 * 2. A backward liveness pass over the structured control flow computes, for each float local,
 *    whether its current value can still reach an observation ("observed-live"). A write of a
 *    DIRTY value is fixed (at its pusher) only if the local is observed-live after it. Locals are
 *    never fixed where they are read, so a local that holds loaded bits at one time and
 *    arithmetic results at another keeps its loaded NaNs intact.
 */
export function nanCanonicalisation(ops: number[], immediate: (k: number) => Reader, localTypes: Uint8Array): Uint8Array {
  const n = ops.length;
  const canon = new Uint8Array(n);
  // Float locals get dense bit indices for the liveness sets.
  const bit = new Int32Array(localTypes.length).fill(-1);
  let floats = 0;
  for (let i = 0; i < localTypes.length; i++) if (localTypes[i] === F32 || localTypes[i] === F64) bit[i] = floats++;

  // Events, by instruction, for the backward pass.
  const uses = new Map<number, number[]>(); // float-local bits observed at k
  const copies = new Map<number, number[]>(); // at a set/tee k: bits observed if the written local is live after k
  const target = new Int32Array(n).fill(-1); // set/tee k: bit of the written local
  const dirtyWrite = new Uint8Array(n); // set/tee k writes a DIRTY value: the CANON code of its pusher
  const dirtyPusher = new Int32Array(n);

  // The simulated operand stack: kind, the instruction that pushed it (for DIRTY), its float
  // type, and the locals it was read from (through get, abs, neg, select). Slot 0 is a
  // permanent KEEP sentinel: popping past what this straight-line stretch pushed yields a value
  // from before the last flush, already canonical or defined.
  const kinds: number[] = [KEEP], pushers: number[] = [-1], types: number[] = [0], srcs: (number[] | undefined)[] = [undefined];
  let sp = 1;
  const push = (kind: number, pusher: number, type: number, src?: number[]) => {
    kinds[sp] = kind;
    pushers[sp] = pusher;
    types[sp] = type;
    srcs[sp++] = src;
  };
  const code = (i: number) => (types[i] === F32 ? (kinds[i] === DIRTY_NEG ? CANON.f32neg : CANON.f32) : kinds[i] === DIRTY_NEG ? CANON.f64neg : CANON.f64);
  const addUses = (k: number, src: number[] | undefined) => {
    if (!src) return;
    const list = uses.get(k);
    if (list) list.push(...src);
    else uses.set(k, [...src]);
  };
  /** The value in slot `i` is observed at instruction `k`. */
  const observe = (i: number, k: number) => {
    if (isDirty(kinds[i]!)) canon[pushers[i]!] = code(i);
    addUses(k, srcs[i]);
    kinds[i] = KEEP;
    srcs[i] = undefined;
  };
  const pop = (): number => (sp > 1 ? --sp : 0);
  const merge = (a: number[] | undefined, b: number[] | undefined) => (a && b ? [...a, ...b] : a ?? b);

  for (let k = 0; k < n; k++) {
    const op = ops[k]!;
    if (op >= 0x45 && op <= 0xc4) {
      const b = UNARY_NUMERIC(op) ? -1 : pop();
      const a = pop();
      const nan = NAN_PRODUCING.get(op);
      if (nan) {
        push(DIRTY, k, nan === "f32" ? F32 : F64);
      } else if (op === 0x8b || op === 0x99) { // abs: a NaN's sign becomes +
        push(isDirty(kinds[a]!) ? DIRTY : kinds[a]!, k, op === 0x8b ? F32 : F64, srcs[a]);
      } else if (op === 0x8c || op === 0x9a) { // neg: a NaN's sign flips
        const ka = kinds[a]!;
        push(ka === DIRTY ? DIRTY_NEG : ka === DIRTY_NEG ? DIRTY : ka, k, op === 0x8c ? F32 : F64, srcs[a]);
      } else if (op === 0x98 || op === 0xa6 || op === 0xbc || op === 0xbd) { // copysign, reinterpret: show the bits
        observe(a, k);
        if (b >= 0) observe(b, k);
        push(op >= 0xbc ? CLEAN : KEEP, k, 0);
      } else {
        push(op === 0xbe || op === 0xbf ? KEEP : CLEAN, k, 0); // reinterpret to float keeps bits; the rest are never NaN
      }
    } else if (op === 0x20) { // local.get: KEEP, but remember where from
      const i = immediate(k).u32();
      push(bit[i]! >= 0 ? KEEP : CLEAN, k, 0, bit[i]! >= 0 ? [bit[i]!] : undefined);
    } else if (op === 0x21 || op === 0x22) { // local.set, local.tee
      const i = immediate(k).u32();
      const v = op === 0x21 ? pop() : sp > 1 ? sp - 1 : 0;
      if (bit[i]! >= 0) {
        target[k] = bit[i]!;
        if (isDirty(kinds[v]!)) {
          dirtyWrite[k] = code(v);
          dirtyPusher[k] = pushers[v]!;
        }
        if (srcs[v]) copies.set(k, srcs[v]!);
      }
    } else if (op === 0x1b || op === 0x1c) { // select
      pop();
      const b = pop();
      const a = pop();
      const ka = kinds[a]!, kb = kinds[b]!;
      if (!isDirty(ka) && !isDirty(kb)) push(ka === CLEAN ? kb : ka, k, types[a] || types[b]!, merge(srcs[a], srcs[b]));
      else if (ka === kb || (kb === CLEAN && !srcs[b]) || (ka === CLEAN && !srcs[a])) push(isDirty(ka) ? ka : kb, k, isDirty(ka) ? types[a]! : types[b]!);
      else {
        // DIRTY meets defined bits (or the other sign): fix the DIRTY side first.
        const src = merge(srcs[a], srcs[b]);
        if (isDirty(ka)) canon[pushers[a]!] = code(a);
        if (isDirty(kb)) canon[pushers[b]!] = code(b);
        push(KEEP, k, 0, src);
      }
    } else if (op === 0x23) {
      push(KEEP, k, 0); // global.get: global.set observed what it wrote
    } else if (op === 0x41 || op === 0x42 || op === 0x3f || op === 0x43 || op === 0x44) {
      push(op === 0x43 || op === 0x44 ? KEEP : CLEAN, k, 0); // a float constant may be a NaN: its bits are defined
    } else if (op >= 0x28 && op <= 0x35) {
      pop();
      push(op === 0x2a || op === 0x2b ? KEEP : CLEAN, k, 0); // loads: bits from memory
    } else if (op >= 0x36 && op <= 0x3e) {
      observe(pop(), k); // store
      pop();
    } else if (op === 0x1a) {
      pop(); // drop: never observed
    } else if (op === 0x01) {
      // nop
    } else if (op >= FC && op <= (FC | 7)) {
      pop(); // trunc_sat: a NaN becomes 0 whatever its bits
      push(CLEAN, k, 0);
    } else {
      for (let i = 1; i < sp; i++) observe(i, k); // control flow, calls, globals, SIMD, tables...
      sp = 1;
      const nan = NAN_PRODUCING.get(op); // SIMD: always canonicalised where produced
      if (nan) canon[k] = nan === "f32x4" ? CANON.f32x4 : CANON.f64x2;
    }
  }

  const live = observedLiveness(ops, immediate, floats, target, uses, copies, dirtyWrite);
  for (let k = 0; k < n; k++) if (dirtyWrite[k] && (!live || live[k])) canon[dirtyPusher[k]!] = dirtyWrite[k]!;
  return canon;
}

/**
 * Backward liveness of float locals, counting only uses whose bits are observed. Returns, for
 * each `local.set/tee` that writes a DIRTY value, whether the written local is live after it;
 * or undefined if the function is too large to analyse within the bounds (then every such
 * write is fixed).
 */
function observedLiveness(
  ops: number[], immediate: (k: number) => Reader, floats: number, target: Int32Array, uses: Map<number, number[]>, copies: Map<number, number[]>, dirtyWrite: Uint8Array,
): Uint8Array | undefined {
  const n = ops.length;
  if (floats === 0) return new Uint8Array(n);
  const words = (floats + 31) >>> 5;
  // Which op each `end` closes (the function's own final end closes none), and branch depths.
  const opener = new Int32Array(n).fill(-1);
  const depths = new Map<number, number[]>();
  const open: number[] = [];
  let controls = 0;
  for (let k = 0; k < n; k++) {
    const op = ops[k]!;
    if (op <= 0x0f) controls++;
    if (op === 0x02 || op === 0x03 || op === 0x04) open.push(k);
    else if (op === 0x0b) opener[k] = open.pop() ?? -1;
    else if (op === 0x0c || op === 0x0d) depths.set(k, [immediate(k).u32()]);
    else if (op === 0x0e) {
      const r = immediate(k);
      const list: number[] = [];
      for (let c = r.u32(); c >= 0; c--) list.push(r.u32()); // the targets, then the default
      depths.set(k, list);
    }
  }
  if (controls * words > MAX_LIVENESS_WORK) return undefined;
  const has = (s: Uint32Array, b: number) => (s[b >>> 5]! >>> (b & 31)) & 1;
  const union = (into: Uint32Array, from: Uint32Array) => {
    for (let w = 0; w < words; w++) into[w]! |= from[w]!;
  };
  const empty = new Uint32Array(words);
  const loopHead = new Map<number, Uint32Array>(); // loop op -> live at the top of its body
  for (let pass = 0; pass < MAX_LIVENESS_PASSES; pass++) {
    let changed = false;
    const result = new Uint8Array(n);
    // Innermost last. label: live where a branch to it goes (after the end of a block or if,
    // the top of a loop's body as of the last pass); after: live after the end.
    const frames: { label: Uint32Array; after: Uint32Array; elseStart?: Uint32Array }[] = [];
    let cur = new Uint32Array(words); // nothing is live after the function returns
    const labelOf = (depth: number) => frames[frames.length - 1 - depth]?.label ?? empty;
    for (let k = n - 1; k >= 0; k--) {
      const op = ops[k]!;
      if (op === 0x0b) {
        const o = opener[k]!;
        const after = cur.slice();
        frames.push({ label: o >= 0 && ops[o] === 0x03 ? (loopHead.get(o) ?? empty) : after, after });
      } else if (op === 0x02 || op === 0x03 || op === 0x04) {
        const f = frames.pop()!;
        if (op === 0x03) {
          const prev = loopHead.get(k);
          if (!prev || cur.some((v, w) => (v & ~prev[w]!) !== 0)) {
            const next = prev ? prev.slice() : new Uint32Array(words);
            union(next, cur);
            loopHead.set(k, next);
            changed = true;
          }
        } else if (op === 0x04) {
          union(cur, f.elseStart ?? f.after); // the condition may skip the then-branch
        }
      } else if (op === 0x05) {
        const f = frames[frames.length - 1]!;
        f.elseStart = cur;
        cur = f.after.slice(); // the then-branch falls through to after the end
      } else if (op === 0x0c) {
        cur = labelOf(depths.get(k)![0]!).slice();
      } else if (op === 0x0d) {
        union(cur, labelOf(depths.get(k)![0]!));
      } else if (op === 0x0e) {
        cur = new Uint32Array(words);
        for (const d of depths.get(k)!) union(cur, labelOf(d));
      } else if (op === 0x0f || op === 0x00) {
        cur = new Uint32Array(words);
      }
      const t = target[k]!;
      if (t >= 0) {
        const liveAfter = has(cur, t);
        if (dirtyWrite[k] && liveAfter) result[k] = 1;
        cur[t >>> 5]! &= ~(1 << (t & 31)); // set and tee both replace the local's value
        const copied = liveAfter ? copies.get(k) : undefined;
        if (copied) for (const b of copied) cur[b >>> 5]! |= 1 << (b & 31);
      }
      const u = uses.get(k);
      if (u) for (const b of u) cur[b >>> 5]! |= 1 << (b & 31);
    }
    if (!changed) return result;
  }
  return undefined;
}

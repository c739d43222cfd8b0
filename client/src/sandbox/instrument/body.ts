/** Rewrites one function body: fuel metering, the call-stack frame, NaN canonicalisation, grow guards. */
import { FRAME_BASE_SLOTS, MAX_FUNCTION_LOCALS, STACK_BUDGET_SLOTS } from "../constants.ts";
import { UnsupportedFeatureError } from "../errors.ts";
import type { FuncType, ParsedModule } from "../wasm/module.ts";
import { F32, F64, OP, readInstruction, readValtype, V128 } from "../wasm/opcodes.ts";
import { Reader, Writer } from "../wasm/reader.ts";
import { I32, I64 } from "./abi.ts";
import { type Accumulators, emitAccumulate, emitCanonicalise, emitNanCheck, exposesBits, type Lanes, lanesOf, MAX_ACCUMULATORS, type NanMode, scratchNeeds } from "./canonicalise.ts";
import { enterFrame, exitFrame, operandGrowth } from "./frame.ts";
import { BULK_CHARGE, endsSegment, fuelEmitter, planCharges } from "./fuel.ts";
import { guardGrow } from "./limits.ts";
import { nanCanonicalisation } from "./nan.ts";

export type BodyContext = { fuelGlobal: number; stackGlobal: number; blockType: number[]; maxArity: number; memoryPages: number; nan: NanMode; mergeCharges: boolean };
export type InstrumentedBody = { bytes: Uint8Array; nanChecks: boolean };

export function skipU32(bytes: Uint8Array, pos: number): number {
  while (bytes[pos]! & 0x80) pos++;
  return pos + 1;
}

export function instrumentBody(m: ParsedModule, index: number, type: FuncType, ctx: BodyContext): InstrumentedBody {
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
  let bulkOps = false;
  while (depth > 0) {
    if (r.done) r.fail(`${where} ends before its final end`);
    starts.push(r.pos);
    const op = readInstruction(r, m.types.length);
    ops.push(op);
    segCost[segCost.length - 1]!++;
    pushes += operandGrowth(op, ctx.maxArity);
    if (op === OP.block || op === OP.loop || op === OP.if) depth++;
    else if (op === OP.end) depth--;
    if (BULK_CHARGE.has(op)) bulkOps = true;
    if (depth > 0 && endsSegment(op)) segCost.push(0);
  }
  if (r.pos !== body.end) r.fail(`${where} has bytes after its final end`);
  const immediate = (k: number) => new Reader(bytes, starts[k]! + 1, body.end);
  const canon = nanCanonicalisation(ops, immediate, localTypes);
  const charges = ctx.mergeCharges ? planCharges(ops, segCost, immediate) : segCost;
  const needs = scratchNeeds(canon);

  // Scratch locals, appended so existing local indices do not move.
  let next = localCount;
  const fuelLocal = next++;
  const scratch = { f32: needs & 1 ? next++ : -1, f64: needs & 2 ? next++ : -1, v128: needs & 4 ? next++ : -1 };
  const countLocal = bulkOps ? next++ : -1;
  const growLocal = bulkOps ? next++ : -1;
  // Protocol: the frame estimate counts the exact mode's scratch locals in either mode, so
  // stack_overflow happens at the same call whichever module runs.
  const frameSlots = FRAME_BASE_SLOTS + localCount + pushes + (next - localCount);
  const optimistic = ctx.nan === "optimistic";
  const sites: Record<Lanes, number> = { f32: 0, f64: 0, f32x4: 0, f64x2: 0 };
  if (optimistic) for (const c of canon) if (c) sites[lanesOf(c)]++;
  const accOf = (lanes: Lanes) => Array.from({ length: Math.min(MAX_ACCUMULATORS, sites[lanes]) }, () => next++);
  const acc: Accumulators = { f32: accOf("f32"), f64: accOf("f64"), f32x4: accOf("f32x4"), f64x2: accOf("f64x2") };
  const accLanes = new Map<number, Lanes>();
  for (const lanes of ["f32", "f64", "f32x4", "f64x2"] as const) for (const a of acc[lanes]) accLanes.set(a, lanes);
  const nanChecks = accLanes.size > 0;
  if (frameSlots > STACK_BUDGET_SLOTS) throw new UnsupportedFeatureError(`a frame larger than the call-stack budget (${frameSlots} slots)`, where);

  const w = new Writer((body.end - body.start) * 2 + 64);
  const extra: number[] = [I64];
  if (scratch.f32 >= 0) extra.push(F32);
  if (scratch.f64 >= 0) extra.push(F64);
  if (scratch.v128 >= 0) extra.push(V128);
  if (bulkOps) extra.push(I32, I32);
  for (const lanes of accLanes.values()) extra.push(lanes === "f32" ? F32 : lanes === "f64" ? F64 : V128);
  w.u32(groups + extra.length);
  w.bytes(bytes.subarray(skipU32(bytes, body.start), localsEnd));
  for (const t of extra) w.u32(1).byte(t);

  const fuel = fuelEmitter(w, fuelLocal, ctx.fuelGlobal, countLocal);
  enterFrame(w, ctx.stackGlobal, frameSlots);
  fuel.load();
  fuel.charge(charges[0]!); // checked at the first loop header, call or return
  w.byte(OP.block).bytes(ctx.blockType);

  // Accumulators that may have taken a value since they were last checked. Control can reach
  // a loop, else or end from elsewhere, so there all are assumed.
  const pending = new Set<number>();
  const allPending = () => {
    for (const a of accLanes.keys()) pending.add(a);
  };
  const checkPending = () => {
    for (const a of pending) emitNanCheck(w, a, accLanes.get(a)!, ctx.stackGlobal);
    pending.clear();
  };
  const turn: Record<Lanes, number> = { f32: 0, f64: 0, f32x4: 0, f64x2: 0 };
  let seg = 0;
  depth = 1;
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]!;
    const start = starts[k]!;
    const end = k + 1 < ops.length ? starts[k + 1]! : body.end;
    if (op === OP.loop || op === OP.else || op === OP.end) allPending();
    if (pending.size && exposesBits(op)) checkPending();
    fuel.chargeBulk(op);
    if (op === OP.return) {
      w.byte(OP.br).u32(depth - 1); // to the wrapper block, so the exit code runs
    } else if (op === OP.call || op === OP.call_indirect) {
      fuel.check();
      fuel.save(); // the callee (or a WASI host function) charges the global
      w.bytes(bytes.subarray(start, end));
      fuel.load();
    } else {
      w.bytes(bytes.subarray(start, end));
    }
    if (op === OP.memory_grow) guardGrow(w, growLocal, countLocal, ctx.memoryPages, ctx.stackGlobal);
    if (op === OP.block || op === OP.loop || op === OP.if) depth++;
    else if (op === OP.end) depth--;
    const c = canon[k]!;
    if (optimistic && c) {
      const list = acc[lanesOf(c)];
      const a = list[turn[lanesOf(c)]++ % list.length]!;
      emitAccumulate(w, c, scratch, a);
      pending.add(a);
    } else {
      emitCanonicalise(w, c, scratch);
    }
    if (depth > 0 && endsSegment(op)) {
      if (op === OP.loop) fuel.chargeAndCheck(charges[++seg]!); // every back edge comes here
      else fuel.charge(charges[++seg]!);
    }
  }
  // The original final `end` closed the wrapper block, which every return also leaves; check
  // before the caller sees the results, give the frame back and close the function.
  checkPending();
  fuel.check();
  fuel.save();
  exitFrame(w, ctx.stackGlobal, frameSlots);
  w.byte(0x0b);
  return { bytes: w.finish(), nanChecks };
}

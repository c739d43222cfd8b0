/**
 * The code emitted where nan.ts decided a NaN result must be canonical. Two ways, with the
 * same results:
 *
 * - exact: a select right after the producer replaces any NaN with the canonical quiet NaN
 *   (with the sign a neg/abs after the producer gave it).
 * - optimistic: the producer's result is only added into an accumulator local (up to
 *   MAX_ACCUMULATORS of each float type or SIMD lane shape per function, taken in turn; a vector
 *   add keeps a NaN in its lane), which stays NaN once any
 *   such result was a NaN (an inf + -inf sum may also make it NaN; that only costs a rerun).
 *   The value itself goes on unchanged. Before anything through which a NaN's bits could reach
 *   the result or the integer state (and so control flow, addresses, traps and fuel), the
 *   accumulators that may have taken a value since the last check are checked; if one is NaN the
 *   module sets the stack global to NAN_DETECTED and traps, and the runner repeats the whole
 *   run with the exact module. Until a check fails, no canonicalised value was a NaN, so every
 *   bit equals the exact run's; between a NaN and the next check, integers and control flow
 *   cannot depend on it, so a trap or fuel exhaustion there ends the run exactly as the exact
 *   module would. Arithmetic kernels pay one add per stored value instead of a compare and
 *   branch on their critical path.
 */
import { FC, FD } from "../wasm/opcodes.ts";
import type { Writer } from "../wasm/reader.ts";
import { NAN_DETECTED } from "./abi.ts";
import { CANON } from "./nan.ts";

export type NanMode = "optimistic" | "exact";

export type ScratchLocals = { f32: number; f64: number; v128: number };
/**
 * Accumulator locals of an optimistic body, by type. Each deferred result is added into one of
 * them, in turn, so that a loop storing several results per iteration is not held up by one
 * serial chain of adds (matmul: two adds of 3-4 cycles each per iteration on one accumulator
 * took twice the loop's own time); at most MAX_ACCUMULATORS of each type.
 */
export type Accumulators = Record<Lanes, number[]>;
export const MAX_ACCUMULATORS = 4;

/** The value type of an accumulator, by the CANON code of what it takes. */
export type Lanes = "f32" | "f64" | "f32x4" | "f64x2";
export function lanesOf(c: number): Lanes {
  return c === CANON.f32 || c === CANON.f32neg ? "f32" : c === CANON.f64 || c === CANON.f64neg ? "f64" : c === CANON.f32x4 ? "f32x4" : "f64x2";
}

/** Leaves the value on top of the stack canonical: x == x ? x : canonical NaN. */
export function emitCanonicalise(w: Writer, c: number, s: ScratchLocals): void {
  if (c === CANON.f32 || c === CANON.f32neg) {
    w.byte(0x22).u32(s.f32).byte(0x43).bytes([0, 0, 0xc0, c === CANON.f32 ? 0x7f : 0xff]).byte(0x20).u32(s.f32).byte(0x20).u32(s.f32).byte(0x5b).byte(0x1b);
  } else if (c === CANON.f64 || c === CANON.f64neg) {
    w.byte(0x22).u32(s.f64).byte(0x44).bytes([0, 0, 0, 0, 0, 0, 0xf8, c === CANON.f64 ? 0x7f : 0xff]).byte(0x20).u32(s.f64).byte(0x20).u32(s.f64).byte(0x61).byte(0x1b);
  } else if (c) {
    const lane = c === CANON.f32x4 ? [0, 0, 0xc0, 0x7f] : [0, 0, 0, 0, 0, 0, 0xf8, 0x7f];
    w.byte(0x22).u32(s.v128).byte(0xfd).u32(12);
    for (let i = 0; i < 16 / lane.length; i++) w.bytes(lane);
    w.byte(0x20).u32(s.v128).byte(0x20).u32(s.v128).byte(0xfd).u32(c === CANON.f32x4 ? 0x41 : 0x47).byte(0xfd).u32(0x52);
  }
}

/**
 * acc += value, leaving the value on top of the stack: local.tee t; local.get acc; add;
 * local.set acc; local.get t. A SIMD add is lane-wise, so a NaN in any lane stays in its lane.
 */
export function emitAccumulate(w: Writer, c: number, s: ScratchLocals, acc: number): void {
  const lanes = lanesOf(c);
  const t = lanes === "f32" ? s.f32 : lanes === "f64" ? s.f64 : s.v128;
  w.byte(0x22).u32(t).byte(0x20).u32(acc);
  if (lanes === "f32") w.byte(0x92);
  else if (lanes === "f64") w.byte(0xa0);
  else w.byte(0xfd).u32(lanes === "f32x4" ? 0xe4 : 0xf0); // f32x4.add, f64x2.add
  w.byte(0x21).u32(acc).byte(0x20).u32(t);
}

/**
 * if (acc has a NaN) { stack global = NAN_DETECTED; unreachable }, for one accumulator:
 * acc != acc for a scalar; for a vector, not every lane equal to itself (eq, then all_true).
 */
export function emitNanCheck(w: Writer, acc: number, lanes: Lanes, stackGlobal: number): void {
  w.byte(0x20).u32(acc).byte(0x20).u32(acc);
  if (lanes === "f32") w.byte(0x5c);
  else if (lanes === "f64") w.byte(0x62);
  else w.byte(0xfd).u32(lanes === "f32x4" ? 0x41 : 0x47).byte(0xfd).u32(lanes === "f32x4" ? 0xa3 : 0xc3).byte(0x45); // eq, all_true, i32.eqz
  w.byte(0x04).byte(0x40);
  w.byte(0x41).s32(NAN_DETECTED).byte(0x24).u32(stackGlobal).byte(0x00).byte(0x0b);
}

/**
 * SIMD instructions that turn vector bits into a scalar integer: extract_lane of an integer
 * shape, any_true, all_true, bitmask. Nothing else in SIMD can branch, trap on a value or
 * address memory with one, so a deferred NaN's bits held in vectors (or stored from them)
 * reach integers, control flow and the result only through these, through a store read back
 * by an integer load, through a float lane moved to a scalar, or through a call: all checked.
 */
const SIMD_TO_INTEGER = new Set([0x15, 0x16, 0x18, 0x19, 0x1b, 0x1d, 0x53, 0x63, 0x64, 0x83, 0x84, 0xa3, 0xa4, 0xc3, 0xc4]);

/**
 * Instructions through which a deferred NaN's bits could reach the result, integers or control
 * flow, so an optimistic body checks its accumulators before them: calls (the callee or the
 * host sees values and memory; every exit from a function is checked too, for the caller), integer loads (memory may hold a deferred
 * NaN's bits), float comparisons and float-to-integer conversions (a float loaded from
 * memory may be made of such bits), and every 0xFC and SIMD instruction (conversions, bulk
 * memory, table and reference ops: rare enough in float loops not to be worth telling apart),
 * and the SIMD instructions that make a scalar integer of vector bits (SIMD_TO_INTEGER).
 * Float loads, stores, arithmetic, locals, globals and select only move float bits around,
 * and so does the rest of SIMD, which keeps its results in vectors.
 */
export function exposesBits(op: number): boolean {
  if (op === 0x10 || op === 0x11) return true; // call, call_indirect (returns are checked on the way out)
  if (op >= 0x28 && op <= 0x35) return op !== 0x2a && op !== 0x2b; // loads other than f32/f64
  if (op >= 0x5b && op <= 0x66) return true; // float comparisons
  if ((op >= 0xa8 && op <= 0xab) || (op >= 0xae && op <= 0xb1) || op === 0xbc || op === 0xbd) return true; // trunc, reinterpret to integer
  if (op >= FD) return SIMD_TO_INTEGER.has(op & 0xffff);
  return op >= FC; // 0xFC prefixed
}

/** Which scratch local kinds a function's CANON codes need: bit 1 f32, 2 f64, 4 v128. */
export function scratchNeeds(canon: Uint8Array): number {
  let needs = 0;
  for (const c of canon) needs |= c === CANON.none ? 0 : c <= CANON.f32neg ? 1 : c <= CANON.f64neg ? 2 : 4;
  return needs;
}

/**
 * The code emitted where nan.ts decided a NaN result must be canonical: a select replacing any
 * NaN with the canonical quiet NaN (with the sign a neg/abs after the producer gave it).
 */
import type { Writer } from "../wasm/reader.ts";
import { CANON } from "./nan.ts";

export type ScratchLocals = { f32: number; f64: number; v128: number };

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

/** Which scratch local kinds a function's CANON codes need: bit 1 f32, 2 f64, 4 v128. */
export function scratchNeeds(canon: Uint8Array): number {
  let needs = 0;
  for (const c of canon) needs |= c === CANON.none ? 0 : c <= CANON.f32neg ? 1 : c <= CANON.f64neg ? 2 : 4;
  return needs;
}

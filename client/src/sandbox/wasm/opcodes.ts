/**
 * The opcode space of the WebAssembly features the sandbox accepts: MVP, sign extension,
 * non-trapping float-to-int, multi-value, bulk memory, reference types (funcref/externref) and
 * fixed-width SIMD. Everything else (threads, relaxed SIMD, exceptions, GC, tail calls, typed
 * function references, memory64, multiple memories) is refused, either because it is
 * nondeterministic by design or because we have not proved our metering sound for it.
 */
import { UnsupportedFeatureError } from "../errors.ts";
import type { Reader } from "./reader.ts";

/** Prefixed opcodes are numbered prefix << 16 | sub-opcode. */
export const FC = 0xfc << 16;
export const FD = 0xfd << 16;

export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, call_indirect: 0x11,
  memory_grow: 0x40, table_grow: FC | 15,
  memory_init: FC | 8, memory_copy: FC | 10, memory_fill: FC | 11,
  table_init: FC | 12, table_copy: FC | 14, table_fill: FC | 17,
} as const;

export const VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/**
 * Float operations whose NaN results the spec leaves nondeterministic (sign and payload), and
 * the lane shape of their result: "f32" | "f64" for scalars, "f32x4" | "f64x2" for SIMD.
 * abs, neg, copysign, pmin and pmax are bitwise or select an input, so they stay deterministic.
 */
export const NAN_PRODUCING = new Map<number, "f32" | "f64" | "f32x4" | "f64x2">();
for (let op = 0x8d; op <= 0x97; op++) NAN_PRODUCING.set(op, "f32"); // ceil..max
for (let op = 0x9b; op <= 0xa5; op++) NAN_PRODUCING.set(op, "f64");
NAN_PRODUCING.set(0xb6, "f32"); // f32.demote_f64
NAN_PRODUCING.set(0xbb, "f64"); // f64.promote_f32
for (const sub of [0x67, 0x68, 0x69, 0x6a, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0x5e]) NAN_PRODUCING.set(FD | sub, "f32x4");
for (const sub of [0x74, 0x75, 0x7a, 0x94, 0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0x5f]) NAN_PRODUCING.set(FD | sub, "f64x2");

function refuse(feature: string, r: Reader, start: number): never {
  throw new UnsupportedFeatureError(feature, `instruction at byte ${start}`);
}

export function readValtype(r: Reader, where: string): number {
  const t = r.u8();
  if (!VALTYPES.has(t)) {
    if (t === 0x63 || t === 0x64 || (t >= 0x69 && t <= 0x74)) throw new UnsupportedFeatureError("typed references / GC types", where);
    r.fail(`unknown value type 0x${t.toString(16)}`);
  }
  return t;
}

/** Reads a block type; returns it so callers can check type indices. */
function readBlockType(r: Reader, typeCount: number): void {
  const b = r.bytes[r.pos];
  if (b === 0x40) {
    r.pos++;
    return;
  }
  if (b !== undefined && (b & 0xc0) === 0x40) {
    readValtype(r, `block type at byte ${r.pos}`);
    return;
  }
  const idx = r.s33();
  if (idx < 0 || idx >= typeCount) r.fail(`block type index ${idx} out of range`);
}

function memarg(r: Reader, start: number): void {
  const align = r.u32();
  if (align & 0x40) refuse("multiple memories", r, start);
  r.u32();
}

function memidx0(r: Reader, start: number): void {
  if (r.u8() !== 0) refuse("multiple memories", r, start);
}

/**
 * Decodes one instruction's opcode and skips its immediates. Returns the opcode number
 * (prefixed ones as prefix << 16 | sub). Throws for anything outside the accepted feature set.
 */
export function readInstruction(r: Reader, typeCount: number): number {
  const start = r.pos;
  const op = r.u8();
  if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1) return op;
  if (op >= 0x45 && op <= 0xc4) return op; // numeric, no immediates
  switch (op) {
    case 0x02: case 0x03: case 0x04:
      readBlockType(r, typeCount);
      return op;
    case 0x0c: case 0x0d: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
    case 0x25: case 0x26: case 0xd2:
      r.u32();
      return op;
    case 0x0e: {
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return op;
    }
    case 0x11:
      r.u32();
      r.u32();
      return op;
    case 0x1c: {
      const n = r.u32();
      for (let i = 0; i < n; i++) readValtype(r, `select at byte ${start}`);
      return op;
    }
    case 0x3f: case 0x40:
      memidx0(r, start);
      return op;
    case 0x41: r.skipSigned(32); return op;
    case 0x42: r.skipSigned(64); return op;
    case 0x43: r.skip(4); return op;
    case 0x44: r.skip(8); return op;
    case 0xd0: {
      const t = r.u8();
      if (t !== 0x70 && t !== 0x6f) refuse("typed references / GC types", r, start);
      return op;
    }
    case 0x06: case 0x07: case 0x08: case 0x09: case 0x0a: case 0x18: case 0x19: case 0x1f:
      refuse("exception handling", r, start);
    case 0x12: case 0x13: case 0x15:
      refuse("tail calls", r, start);
    case 0x14: case 0xd3: case 0xd4: case 0xd5: case 0xd6:
      refuse("typed function references", r, start);
    case 0xfb:
      refuse("garbage collection", r, start);
    case 0xfe:
      refuse("threads / atomics", r, start);
    case 0xfc:
      return FC | readFc(r, start);
    case 0xfd:
      return FD | readFd(r, start);
  }
  if (op >= 0x28 && op <= 0x3e) {
    memarg(r, start);
    return op;
  }
  r.fail(`unknown opcode 0x${op.toString(16)}`);
}

function readFc(r: Reader, start: number): number {
  const sub = r.u32();
  if (sub <= 7) return sub;
  switch (sub) {
    case 8: r.u32(); memidx0(r, start); return sub; // memory.init data, mem
    case 9: r.u32(); return sub; // data.drop
    case 10: memidx0(r, start); memidx0(r, start); return sub; // memory.copy
    case 11: memidx0(r, start); return sub; // memory.fill
    case 12: case 14: r.u32(); r.u32(); return sub; // table.init / table.copy
    case 13: case 15: case 16: case 17: r.u32(); return sub; // elem.drop, table.grow/size/fill
  }
  if (sub >= 0x12) refuse("an unsupported 0xFC instruction (e.g. memory64 / memory.discard)", r, start);
  r.fail(`unknown 0xFC sub-opcode ${sub}`);
}

function readFd(r: Reader, start: number): number {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) {
    memarg(r, start);
    return sub;
  }
  if (sub === 12 || sub === 13) {
    r.skip(16); // v128.const / i8x16.shuffle
    return sub;
  }
  if (sub >= 21 && sub <= 34) {
    r.skip(1); // lane index
    return sub;
  }
  if (sub >= 84 && sub <= 91) {
    memarg(r, start);
    r.skip(1);
    return sub;
  }
  if (sub >= 0x100) refuse("relaxed SIMD (nondeterministic by design)", r, start);
  if (sub <= 0xff) return sub; // remaining SIMD ops take no immediates; V8's validation rejects unassigned ones
  r.fail(`unknown 0xFD sub-opcode ${sub}`);
}

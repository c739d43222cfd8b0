/**
 * Where NaN results get canonicalised: a forward simulation of the operand stack plus a
 * backward liveness pass over the function's structured control flow, so that only NaNs whose
 * bits can be observed are touched (docs/PROTOCOL.md "Floating point").
 */
import { F32, F64, FC, NAN_PRODUCING } from "../wasm/opcodes.ts";
import type { Reader } from "../wasm/reader.ts";

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

/**
 * Fuel metering (docs/PROTOCOL.md "Metering (fuel)"). Each function body is cut into segments
 * at every point control can arrive from elsewhere (function entry, after `loop`, `if`, `else`
 * and `end`); entering a segment charges its instruction count, so no code runs unmetered.
 * Bulk memory/table ops and memory.grow also charge for what they touch, before they run.
 *
 * The fuel is only compared with zero at check points: every loop header (each back edge
 * passes one), before every call, before a bulk op runs and on every return. Between two
 * check points control only goes forward, so a run can overdraw by at most one function's
 * forward code before a check stops it. Since nothing but a check point can see the fuel (the
 * local is written to the global only before calls and on return), charges between check
 * points may be moved as long as every path between two of them charges the same total:
 * planCharges hoists the charge of a segment that follows a `block` or `if` into the charge
 * before it when every path from that charge reaches the segment without passing a check point.
 */
import { BYTES_PER_FUEL, FUEL_PER_MEMORY_GROW, WASM_PAGE_BYTES } from "../constants.ts";
import { OP } from "../wasm/opcodes.ts";
import type { Reader, Writer } from "../wasm/reader.ts";

/** How bulk operations are charged: their count operand shifted into fuel units. */
export const BULK_CHARGE = new Map<number, ({ shl: number } | { shr: number }) & { base?: number }>([
  [OP.memory_copy, { shr: Math.log2(BYTES_PER_FUEL) }],
  [OP.memory_fill, { shr: Math.log2(BYTES_PER_FUEL) }],
  [OP.memory_init, { shr: Math.log2(BYTES_PER_FUEL) }],
  [OP.memory_grow, { shl: Math.log2(WASM_PAGE_BYTES / BYTES_PER_FUEL), base: FUEL_PER_MEMORY_GROW }],
  // Table elements are pointer-sized: charge them as 8 bytes each.
  [OP.table_copy, { shr: Math.log2(BYTES_PER_FUEL / 8) }],
  [OP.table_fill, { shr: Math.log2(BYTES_PER_FUEL / 8) }],
  [OP.table_init, { shr: Math.log2(BYTES_PER_FUEL / 8) }],
  [OP.table_grow, { shr: Math.log2(BYTES_PER_FUEL / 8) }],
]);

/** Whether a new metered segment starts after `op` (at nesting depth > 0 after it). */
export const endsSegment = (op: number) => op === OP.loop || op === OP.if || op === OP.else || op === OP.end;

/** Instructions at which the fuel is checked (loops check at their header, after `loop`). */
export const isCheckPoint = (op: number) => op === OP.call || op === OP.call_indirect || op === OP.return || BULK_CHARGE.has(op);

const isBranch = (op: number) => op === OP.br || op === OP.br_if || op === OP.br_table;

/**
 * Where each segment's cost is charged: returns, by segment (numbered in order, 0 the entry),
 * the fuel its charge point takes, 0 for a segment whose cost was added to an earlier one.
 *
 * The segment after the `end` of a `block` or `if` is charged with the segment the construct
 * opened in (its owner), when (1) from the owner's charge to the opener nothing branches or
 * checks, and (2) the construct is clean: nothing in it checks the fuel (no loop, call, return
 * or bulk op) and no branch in it leaves it except to its own end. Then every path from the
 * owner's charge reaches the segment, passing no check point, so every check point and every
 * write-back of the fuel sees the same total as if each segment charged on entry. (A trap on
 * the way ends the run with the fuel as of the last write-back, which charges never change.)
 */
export function planCharges(ops: number[], segCost: number[], immediate: (k: number) => Reader): number[] {
  const n = ops.length;
  // Pass 1: which constructs are clean. Stack index 0 is the function (a branch to it returns).
  const clean = new Uint8Array(n); // by opener
  const openers: number[] = [-1];
  const minTarget: number[] = [0];
  const checks: boolean[] = [true];
  for (let k = 0; k < n; k++) {
    const op = ops[k]!;
    const top = openers.length - 1;
    if (op === OP.block || op === OP.loop || op === OP.if) {
      openers.push(k);
      minTarget.push(openers.length - 1);
      checks.push(op === OP.loop);
    } else if (op === OP.end) {
      if (top === 0) break;
      const k0 = openers.pop()!;
      const t = minTarget.pop()!;
      const c = checks.pop()!;
      if (!c && t >= top) clean[k0] = 1;
      minTarget[top - 1] = Math.min(minTarget[top - 1]!, t);
      if (c) checks[top - 1] = true;
    } else if (isCheckPoint(op)) {
      checks[top] = true;
      if (op === OP.return) minTarget[top] = 0;
    } else if (isBranch(op)) {
      const r = immediate(k);
      let depth = 0;
      if (op === OP.br_table) for (let c = r.u32(); c >= 0; c--) depth = Math.max(depth, r.u32()); // the targets, then the default
      else depth = r.u32();
      minTarget[top] = Math.min(minTarget[top]!, Math.max(0, top - depth));
    }
  }
  // Pass 2: the owner of each segment, following the control structure.
  const cost = segCost.slice();
  const frames: { owner: number; linear: boolean; clean: boolean }[] = [];
  let owner = 0;
  let linear = true; // every path from the owner's charge reaches here without a branch or check
  let seg = 0;
  let depth = 1;
  for (let k = 0; k < n && depth > 0; k++) {
    const op = ops[k]!;
    if (op === OP.block || op === OP.loop || op === OP.if) {
      frames.push({ owner, linear, clean: clean[k] === 1 });
      depth++;
    } else if (op === OP.end) {
      depth--;
      if (depth === 0) break;
      const f = frames.pop()!;
      seg++;
      if (f.clean && f.linear) {
        cost[f.owner]! += cost[seg]!;
        cost[seg] = 0;
        owner = f.owner;
      } else {
        owner = seg;
      }
      linear = true;
      continue;
    } else if (isBranch(op) || isCheckPoint(op)) {
      linear = false;
    }
    if (op === OP.loop || op === OP.if || op === OP.else) {
      owner = ++seg;
      linear = true;
    }
  }
  return cost;
}

/**
 * Emits the metering code of one function. Fuel lives in a local (a register) inside a function
 * and is written back to the global before every call, on exit and when it runs out; a trap
 * elsewhere reports the fuel as of the last such point, which is just as deterministic.
 */
export function fuelEmitter(w: Writer, fuelLocal: number, fuelGlobal: number, countLocal: number) {
  /** With the fuel on the stack: local.tee; i64.const 0; i64.lt_s; if; local.get; global.set; unreachable; end */
  const teeCheck = () => {
    w.byte(0x22).u32(fuelLocal).byte(0x42).byte(0).byte(0x53).byte(0x04).byte(0x40);
    w.byte(0x20).u32(fuelLocal).byte(0x24).u32(fuelGlobal).byte(0x00).byte(0x0b);
  };
  const sub = (cost: number) => w.byte(0x20).u32(fuelLocal).byte(0x42).s64(BigInt(cost)).byte(0x7d); // local.get; i64.const; i64.sub
  return {
    /** Takes `cost` without checking (0 emits nothing: the segment was charged with another). */
    charge(cost: number) {
      if (cost > 0) sub(cost).byte(0x21).u32(fuelLocal);
    },
    /** Takes `cost`, then ends the run if the fuel is below zero (a loop header). */
    chargeAndCheck(cost: number) {
      sub(cost);
      teeCheck();
    },
    /** Ends the run if the fuel is below zero. */
    check() {
      w.byte(0x20).u32(fuelLocal);
      teeCheck();
    },
    /** Charges a bulk op for its count, the top operand, which it leaves in place. */
    chargeBulk(op: number) {
      const bulk = BULK_CHARGE.get(op);
      if (!bulk) return;
      w.byte(0x22).u32(countLocal).byte(0x20).u32(fuelLocal).byte(0x20).u32(countLocal).byte(0xad);
      if ("shl" in bulk) w.byte(0x42).s64(BigInt(bulk.shl)).byte(0x86);
      else w.byte(0x42).s64(BigInt(bulk.shr)).byte(0x88);
      w.byte(0x7d);
      if (bulk.base) w.byte(0x42).s64(BigInt(bulk.base)).byte(0x7d); // i64.const; i64.sub
      teeCheck();
    },
    save: () => w.byte(0x20).u32(fuelLocal).byte(0x24).u32(fuelGlobal),
    load: () => w.byte(0x23).u32(fuelGlobal).byte(0x21).u32(fuelLocal),
  };
}

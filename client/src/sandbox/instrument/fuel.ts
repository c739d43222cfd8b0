/**
 * Fuel metering. Each function body is cut into segments at every point control can arrive
 * from elsewhere (function entry, after `loop`, `if`, `else` and `end`); each segment begins by
 * charging its instruction count, so every loop iteration passes a charge and no code runs
 * unmetered. Bulk memory/table ops and memory.grow also charge for what they touch, before
 * they run.
 */
import { BYTES_PER_FUEL, WASM_PAGE_BYTES } from "../constants.ts";
import { OP } from "../wasm/opcodes.ts";
import type { Writer } from "../wasm/reader.ts";

/** How bulk operations are charged: their count operand shifted into fuel units. */
export const BULK_CHARGE = new Map<number, { shl: number } | { shr: number }>([
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

/** Whether a new metered segment starts after `op` (at nesting depth > 0 after it). */
export const endsSegment = (op: number) => op === OP.loop || op === OP.if || op === OP.else || op === OP.end;

/**
 * Emits the metering code of one function. Fuel lives in a local (a register) inside a function
 * and is written back to the global before every call, on exit and when it runs out; a trap
 * elsewhere reports the fuel as of the last such point, which is just as deterministic.
 */
export function fuelEmitter(w: Writer, fuelLocal: number, fuelGlobal: number, countLocal: number) {
  const check = () => {
    // local.tee; i64.const 0; i64.lt_s; if; local.get; global.set; unreachable; end
    w.byte(0x22).u32(fuelLocal).byte(0x42).byte(0).byte(0x53).byte(0x04).byte(0x40);
    w.byte(0x20).u32(fuelLocal).byte(0x24).u32(fuelGlobal).byte(0x00).byte(0x0b);
  };
  return {
    charge(cost: number) {
      w.byte(0x20).u32(fuelLocal).byte(0x42).s64(BigInt(cost)).byte(0x7d); // local.get; i64.const; i64.sub
      check();
    },
    /** Charges a bulk op for its count, the top operand, which it leaves in place. */
    chargeBulk(op: number) {
      const bulk = BULK_CHARGE.get(op);
      if (!bulk) return;
      w.byte(0x22).u32(countLocal).byte(0x20).u32(fuelLocal).byte(0x20).u32(countLocal).byte(0xad);
      if ("shl" in bulk) w.byte(0x42).s64(BigInt(bulk.shl)).byte(0x86);
      else w.byte(0x42).s64(BigInt(bulk.shr)).byte(0x88);
      w.byte(0x7d);
      check();
    },
    save: () => w.byte(0x20).u32(fuelLocal).byte(0x24).u32(fuelGlobal),
    load: () => w.byte(0x23).u32(fuelGlobal).byte(0x21).u32(fuelLocal),
  };
}

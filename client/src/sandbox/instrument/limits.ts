/**
 * Memory and table caps. Maxima are lowered to the job's cap, so growth fails (returns -1) at
 * the same point everywhere; a grow that fails below the cap is the host running out of memory.
 */
import type { ParsedModule } from "../wasm/module.ts";
import { Writer } from "../wasm/reader.ts";
import { HOST_OOM } from "./abi.ts";

/** A memory or table section with every maximum set to min(declared max, cap). */
export function rewriteLimits(entries: ParsedModule["memories"], cap: number, bytes: Uint8Array, isTable: boolean): Uint8Array {
  const w = new Writer();
  w.u32(entries.length);
  for (const e of entries) {
    if (isTable) w.byte(bytes[e.start]!); // element type
    const max = Math.min(e.limits.max ?? cap, cap);
    w.byte(0x01).u32(e.limits.min).u32(max);
  }
  return w.finish();
}

/**
 * Follows a memory.grow (whose page count the fuel charge left in `countLocal`). A grow that
 * fails below the cap means the host ran out of memory: machine-dependent, so it must end the
 * run as an error (stack global -2), never become a result.
 */
export function guardGrow(w: Writer, resultLocal: number, countLocal: number, memoryPages: number, stackGlobal: number): void {
  w.byte(0x22).u32(resultLocal).byte(0x41).s32(-1).byte(0x46).byte(0x04).byte(0x40);
  w.byte(0x3f).byte(0).byte(0xad).byte(0x20).u32(countLocal).byte(0xad).byte(0x7c).byte(0x42).s64(BigInt(memoryPages)).byte(0x58);
  w.byte(0x04).byte(0x40).byte(0x41).s32(HOST_OOM).byte(0x24).u32(stackGlobal).byte(0x00).byte(0x0b);
  w.byte(0x0b).byte(0x20).u32(resultLocal);
}

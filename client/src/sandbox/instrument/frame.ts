/**
 * The deterministic call-stack budget. Each function charges a static frame estimate to an i32
 * budget global on entry and returns it on exit (its body is wrapped in a block and `return`
 * becomes a branch to it). An exhausted budget sets the global to -1 and traps:
 * `stack_overflow`, always before V8's native limit (the worker's stack is sized from the budget).
 */
import { FC, FD, OP } from "../wasm/opcodes.ts";
import type { Writer } from "../wasm/reader.ts";
import { STACK_OVERFLOWED } from "./abi.ts";

/** Instructions that may leave more values on the operand stack than they take. */
const PUSHES_ONE = new Set([0x20, 0x23, 0x41, 0x42, 0x43, 0x44, 0x3f, 0xd0, 0xd2, 0x25, FC | 16, FD | 12]);

/** How much `op` may add to an upper bound of the operand stack's height. */
export function operandGrowth(op: number, maxArity: number): number {
  if (PUSHES_ONE.has(op)) return 1;
  if (op === OP.call || op === OP.call_indirect || op === OP.block || op === OP.loop || op === OP.if || op === OP.end) return maxArity;
  return 0;
}

/** if (budget <u slots) { budget = -1; unreachable } budget -= slots */
export function enterFrame(w: Writer, stackGlobal: number, slots: number): void {
  w.byte(0x23).u32(stackGlobal).byte(0x41).s32(slots).byte(0x49).byte(0x04).byte(0x40);
  w.byte(0x41).s32(STACK_OVERFLOWED).byte(0x24).u32(stackGlobal).byte(0x00).byte(0x0b);
  w.byte(0x23).u32(stackGlobal).byte(0x41).s32(slots).byte(0x6b).byte(0x24).u32(stackGlobal);
}

export function exitFrame(w: Writer, stackGlobal: number, slots: number): void {
  w.byte(0x23).u32(stackGlobal).byte(0x41).s32(slots).byte(0x6a).byte(0x24).u32(stackGlobal);
}

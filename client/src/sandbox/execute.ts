/**
 * Runs one instrumented module against a job in the current thread and returns its result.
 * Only sandbox processes call this (sandbox-process.ts, started by pool.ts): the wall-clock
 * backstop needs a process it can kill, and a heap-limit abort must end only that process.
 */
import { NondeterministicFailureError } from "./errors.ts";
import { FUEL_EXPORT, HOST_OOM, NAN_DETECTED, STACK_EXPORT, STACK_OVERFLOWED, START_EXPORT } from "./instrument.ts";
import type { ResultBundle, ResultStatus, SandboxJob, TrapKind } from "./types.ts";
import { RunEnd } from "./wasi/fs.ts";
import { WASI_MODULE } from "./wasi/signatures.ts";
import { WasiHost } from "./wasi/host.ts";

/** V8's trap messages, mapped to the protocol's fixed trap kinds (first match wins). */
const TRAP_MESSAGES: [string, TrapKind][] = [
  ["unreachable", "unreachable"],
  ["memory access out of bounds", "memory_out_of_bounds"],
  ["data segment", "memory_out_of_bounds"],
  ["divide by zero", "integer_divide_by_zero"],
  ["remainder by zero", "integer_divide_by_zero"],
  ["divide result unrepresentable", "integer_overflow"],
  ["float unrepresentable", "invalid_conversion"],
  ["signature mismatch", "indirect_call_type_mismatch"],
  ["table index is out of bounds", "table_out_of_bounds"],
  ["invalid index into function table", "table_out_of_bounds"],
  ["element segment", "table_out_of_bounds"],
  ["table access", "table_out_of_bounds"],
  ["null", "null_reference"],
];

export function trapKindOf(message: string): TrapKind | undefined {
  return TRAP_MESSAGES.find(([text]) => message.includes(text))?.[1];
}

export type ExecuteOptions = {
  module: WebAssembly.Module;
  hasStart: boolean;
  job: SandboxJob;
  /**
   * The module instrumented with `nan: "exact"`, for when `module` (optimistic) reports that a
   * NaN it did not canonicalise may have become observable. Needed only if the module was
   * instrumented with nanChecks.
   */
  exact?: () => Promise<WebAssembly.Module>;
};

/** Thrown out of a run of an optimistic module to have it repeated with the exact one. */
class NanDetected extends Error {}

export async function executeModule({ module, hasStart, job, exact }: ExecuteOptions): Promise<ResultBundle> {
  try {
    return await run(module, hasStart, job);
  } catch (err) {
    if (!(err instanceof NanDetected)) throw err;
    // The whole run again from the start: nothing of the first one is kept.
    if (!exact) throw new Error("the optimistic module detected a NaN but no exact module was given: pass ExecuteOptions.exact");
    return await run(await exact(), hasStart, job);
  }
}

/**
 * `c(units: f64) -> i32`: takes `units` (whole, at most 2^53) off the imported i64 fuel global and
 * returns 1 if the fuel is then below zero. Host calls charge through it, not through the
 * global's `value`: a BigInt read and write of an i64 global costs 100-270 ns a charge in V8,
 * more than most calls' own work; this call costs ~10 ns.
 */
const CHARGER = new WebAssembly.Module(Uint8Array.of(
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  1, 6, 1, 0x60, 1, 0x7c, 1, 0x7f, // type: (f64) -> i32
  2, 8, 1, 1, 0x6d, 1, 0x67, 3, 0x7e, 1, // import "m" "g": global mut i64
  3, 2, 1, 0,
  7, 5, 1, 1, 0x63, 0, 0, // export "c"
  // fuel = fuel - i64.trunc_sat_f64_s(units); return fuel < 0
  10, 18, 1, 16, 0, 0x23, 0, 0x20, 0, 0xfc, 6, 0x7d, 0x24, 0, 0x23, 0, 0x42, 0, 0x53, 0x0b,
));

async function run(module: WebAssembly.Module, hasStart: boolean, job: SandboxJob): Promise<ResultBundle> {
  let fuel: WebAssembly.Global | undefined;
  let take: ((units: number) => number) | undefined;
  const charge = (units: number) => {
    if (!take) return;
    if (take(units)) throw new RunEnd({ kind: "trap", trap: "out_of_fuel" });
  };
  const host = new WasiHost({ job, charge });
  let status: ResultStatus;
  let instance: WebAssembly.Instance | undefined;
  try {
    instance = await WebAssembly.instantiate(module, { [WASI_MODULE]: host.imports() });
    const exports = instance.exports as Record<string, unknown>;
    fuel = exports[FUEL_EXPORT] as WebAssembly.Global;
    fuel.value = BigInt(job.limits.fuel);
    take = new WebAssembly.Instance(CHARGER, { m: { g: fuel } }).exports.c as (units: number) => number;
    host.memory.bind(exports.memory as WebAssembly.Memory);
    if (hasStart) (exports[START_EXPORT] as () => void)();
    (exports._start as () => void)();
    status = { kind: "exit", code: 0 };
  } catch (err) {
    status = classify(err, instance);
  }
  const left = fuel ? (fuel.value as bigint) : BigInt(job.limits.fuel);
  return {
    status,
    fuelUsed: job.limits.fuel - Number(left > 0n ? left : 0n),
    stdout: host.stdout.bytes(),
    stderr: host.stderr.bytes(),
    files: host.fs.outputSnapshot(),
  };
}

function classify(err: unknown, instance: WebAssembly.Instance | undefined): ResultStatus {
  if (err instanceof RunEnd) return err.status;
  if (err instanceof WebAssembly.RuntimeError) {
    const exports = instance?.exports as Record<string, WebAssembly.Global> | undefined;
    if (exports) {
      if (exports[STACK_EXPORT]!.value === NAN_DETECTED) throw new NanDetected();
      if ((exports[FUEL_EXPORT]!.value as bigint) < 0n) return { kind: "trap", trap: "out_of_fuel" };
      const stack = exports[STACK_EXPORT]!.value as number;
      if (stack === STACK_OVERFLOWED) return { kind: "trap", trap: "stack_overflow" };
      if (stack === HOST_OOM) throw new NondeterministicFailureError("memory.grow failed below the job's memory cap: the host is out of memory", err);
    }
    const trap = trapKindOf(err.message);
    if (trap) return { kind: "trap", trap };
    throw new NondeterministicFailureError(`unrecognised trap "${err.message}"`, err);
  }
  if (err instanceof RangeError) throw new NondeterministicFailureError(`the engine gave up: ${err.message}`, err);
  throw err;
}

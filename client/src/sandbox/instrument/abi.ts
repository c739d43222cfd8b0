/** What the instrumented module and the runner (execute.ts) agree on: export names and trap codes. */
export const FUEL_EXPORT = "__accord_fuel";
export const STACK_EXPORT = "__accord_stack";
export const START_EXPORT = "__accord_start";
export const RESERVED_EXPORT_PREFIX = "__accord_";
/** Values of the stack global that tell the runner why the module trapped. */
export const STACK_OVERFLOWED = -1;
export const HOST_OOM = -2;

export const I32 = 0x7f;
export const I64 = 0x7e;
/**
 * The stack global's value when an optimistic module (canonicalise.ts) found that a NaN whose
 * bits it did not canonicalise may have become observable: the run must be repeated with the
 * exact module. It is never a result.
 */
export const NAN_DETECTED = -3;

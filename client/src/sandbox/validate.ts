/** Checks a module and a job against the sandbox's rules before anything runs. */
import { MAX_LIMITS, MAX_MODULE_BYTES, MAX_TABLE_ELEMENTS } from "./constants.ts";
import {
  InvalidJobError, MalformedModuleError, MemoryLimitError, MissingExportError, ModuleTooLargeError,
  UnsupportedFeatureError, UnsupportedImportError,
} from "./errors.ts";
import { instrumentModule, type InstrumentedModule, type NanMode, RESERVED_EXPORT_PREFIX } from "./instrument.ts";
import { EXTERN, parseModule } from "./wasm/module.ts";
import { signatureOf, WASI_MODULE, WASI_SIGNATURES } from "./wasi/signatures.ts";
import type { SandboxLimits } from "./types.ts";

export type ModuleInfo = {
  /** The WASI functions the module imports, sorted. */
  imports: string[];
  memory: { minPages: number; maxPages?: number };
  functions: number;
  hasStart: boolean;
};

export type PreparedModule = { info: ModuleInfo; instrumented: InstrumentedModule };

/**
 * Validates `bytes` against the sandbox's rules (size, well-formedness, WASI-only imports,
 * memory within `limits.memoryPages`, a `_start` command entry point, supported features) and
 * returns what it found. Throws a subclass of InvalidModuleError naming the problem.
 */
export function validateModule(bytes: Uint8Array, limits: Pick<SandboxLimits, "memoryPages">): ModuleInfo {
  return prepareModule(bytes, limits).info;
}

/**
 * Validation plus the metering pass: what a worker runs. The optimistic module is the fast one;
 * when a run of it reports NAN_DETECTED, the worker repeats the run with the exact one.
 */
export function prepareModule(bytes: Uint8Array, limits: Pick<SandboxLimits, "memoryPages">, nan: NanMode = "optimistic"): PreparedModule {
  if (!(bytes instanceof Uint8Array)) throw new MalformedModuleError("expected a Uint8Array");
  if (bytes.length > MAX_MODULE_BYTES) throw new ModuleTooLargeError(bytes.length, MAX_MODULE_BYTES);
  const m = parseModule(bytes);
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
    let reason = "the engine's validation failed";
    try {
      new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    } catch (err) {
      reason = (err as Error).message;
    }
    throw new MalformedModuleError(reason);
  }
  for (const imp of m.imports) {
    if (imp.module !== WASI_MODULE) throw new UnsupportedImportError(imp.module, imp.field, `is not from ${WASI_MODULE}`);
    const want = WASI_SIGNATURES[imp.field];
    if (!want) throw new UnsupportedImportError(imp.module, imp.field, `is not a ${WASI_MODULE} function`);
    const t = m.types[imp.typeIndex]!;
    const got = signatureOf(t.params, t.results);
    if (got !== want) throw new UnsupportedImportError(imp.module, imp.field, `has signature ${got}, but WASI's is ${want}`);
  }
  const memory = m.memories[0];
  const memExport = m.exports.find((e) => e.name === "memory");
  if (!memory || !memExport || memExport.kind !== EXTERN.memory) throw new MissingExportError("memory", "a memory");
  if (memory.limits.min > limits.memoryPages) throw new MemoryLimitError(memory.limits.min, limits.memoryPages);
  for (const [i, t] of m.tables.entries()) {
    if (t.limits.min > MAX_TABLE_ELEMENTS) throw new UnsupportedFeatureError(`a table of ${t.limits.min} elements (cap ${MAX_TABLE_ELEMENTS})`, `table ${i}`);
  }
  const start = m.exports.find((e) => e.name === "_start");
  if (!start || start.kind !== EXTERN.func) throw new MissingExportError("_start", "the function");
  const startType = m.types[m.funcTypes[start.index]!]!;
  if (startType.params.length || startType.results.length) throw new MissingExportError("_start", "a () → () function");
  const reserved = m.exports.find((e) => e.name.startsWith(RESERVED_EXPORT_PREFIX));
  if (reserved) throw new MalformedModuleError(`export "${reserved.name}" uses the sandbox's reserved prefix ${RESERVED_EXPORT_PREFIX}`);
  const instrumented = instrumentModule(m, { memoryPages: limits.memoryPages, nan });
  return {
    info: {
      imports: m.imports.map((i) => i.field).sort(),
      memory: { minPages: memory.limits.min, maxPages: memory.limits.max },
      functions: m.funcTypes.length,
      hasStart: m.start !== undefined,
    },
    instrumented,
  };
}

const LIMIT_KEYS = Object.keys(MAX_LIMITS) as (keyof SandboxLimits)[];

/** Checks every limit is a whole number within MAX_LIMITS. */
export function validateLimits(limits: SandboxLimits): void {
  if (typeof limits !== "object" || limits === null) throw new InvalidJobError("limits are missing", "Pass limits, e.g. { ...DEFAULT_LIMITS }.");
  for (const key of LIMIT_KEYS) {
    const v = limits[key];
    if (!Number.isSafeInteger(v) || v < (key === "wallClockMs" || key === "fuel" ? 1 : 0) || v > MAX_LIMITS[key]) {
      throw new InvalidJobError(`limits.${key} is ${String(v)}`, `Use a whole number between ${key === "wallClockMs" || key === "fuel" ? 1 : 0} and ${MAX_LIMITS[key]}.`);
    }
  }
}

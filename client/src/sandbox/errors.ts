/** Errors a sandbox user can meet. Results (traps, out of fuel, caps) are never errors. */
import { BaseError } from "../errors.ts";

/** The module was refused before running; `reason` says what is wrong with it. */
export class InvalidModuleError extends BaseError {
  override name = "InvalidModuleError";
  constructor(reason: string, params: { fix?: string; cause?: unknown } = {}) {
    super(`The WebAssembly module was refused: ${reason}.`, {
      fix: params.fix ?? "Build a WASI preview 1 command module (e.g. clang --target=wasm32-wasi, Rust wasm32-wasip1) and check it with `wasm-validate`.",
      cause: params.cause,
    });
  }
}

export class ModuleTooLargeError extends InvalidModuleError {
  override name = "ModuleTooLargeError";
  constructor(bytes: number, maxBytes: number) {
    super(`it is ${bytes} bytes, more than the ${maxBytes}-byte limit`, {
      fix: "Strip debug info and custom sections (e.g. `wasm-opt --strip-debug`, `-Wl,--strip-all`) or split the work.",
    });
  }
}

export class MalformedModuleError extends InvalidModuleError {
  override name = "MalformedModuleError";
  constructor(reason: string, cause?: unknown) {
    super(`it is not a well-formed WebAssembly module (${reason})`, {
      cause,
      fix: "Upload the complete .wasm file as the compiler wrote it; a truncated or corrupted upload fails this check.",
    });
  }
}

export class UnsupportedImportError extends InvalidModuleError {
  override name = "UnsupportedImportError";
  readonly module: string;
  readonly field: string;
  constructor(module: string, field: string, reason: string) {
    super(`it imports "${module}"."${field}", which ${reason}`, {
      fix: "Import only wasi_snapshot_preview1 functions (no host-specific imports, memories, tables or globals); link with --no-allow-undefined to find the culprit.",
    });
    this.module = module;
    this.field = field;
  }
}

export class UnsupportedFeatureError extends InvalidModuleError {
  override name = "UnsupportedFeatureError";
  readonly feature: string;
  constructor(feature: string, where: string) {
    super(`it uses ${feature} (${where}), which the deterministic sandbox cannot run`, {
      fix: "Compile without that feature: no threads/atomics, relaxed SIMD, exceptions, GC, tail calls, memory64 or multiple memories.",
    });
    this.feature = feature;
  }
}

export class MemoryLimitError extends InvalidModuleError {
  override name = "MemoryLimitError";
  constructor(initialPages: number, maxPages: number) {
    super(`its memory starts at ${initialPages} pages, above the job's cap of ${maxPages} pages`, {
      fix: "Raise the job's memoryPages limit or link with a smaller initial memory (-Wl,--initial-memory=...).",
    });
  }
}

export class MissingExportError extends InvalidModuleError {
  override name = "MissingExportError";
  constructor(name: string, what: string) {
    super(`it does not export ${what} "${name}"`, {
      fix: "Build a WASI command (it exports `_start` and `memory`), not a reactor or library.",
    });
  }
}

/** The job itself (not the module) is out of bounds. */
export class InvalidJobError extends BaseError {
  override name = "InvalidJobError";
  constructor(reason: string, fix: string) {
    super(`The sandbox job is invalid: ${reason}.`, { fix });
  }
}

/** The wall-clock backstop ended the run: machine-dependent, so never a result. */
export class WallClockTimeoutError extends BaseError {
  override name = "WallClockTimeoutError";
  constructor(ms: number) {
    super(`The job ran past its ${ms} ms wall-clock backstop and its sandbox process was killed.`, {
      fix: "Lower the job's fuel so it ends deterministically before the backstop, or raise wallClockMs on a slower machine.",
    });
  }
}

/** The sandbox process died (host memory, V8's heap limit, a crash): the pool's process survived, the job has no result. */
export class SandboxCrashedError extends BaseError {
  override name = "SandboxCrashedError";
  constructor(details: string, cause?: unknown) {
    super("The sandbox process running the job crashed; the job has no result.", {
      details,
      cause,
      fix: "Retry once; if it crashes again, lower the job's memoryPages or report the module to the Accord maintainers.",
    });
  }
}

/** The engine stopped the module in a way that depends on the machine (native stack, host OOM). */
export class NondeterministicFailureError extends BaseError {
  override name = "NondeterministicFailureError";
  constructor(details: string, cause?: unknown) {
    super("The module failed in a machine-dependent way, so the run has no result.", {
      details,
      cause,
      fix: "Report this module to the Accord maintainers: the sandbox should have ended it deterministically.",
    });
  }
}

export class SandboxBusyError extends BaseError {
  override name = "SandboxBusyError";
  constructor(queued: number) {
    super(`The sandbox pool already has ${queued} jobs waiting.`, {
      fix: "Wait for running jobs to finish, or create the pool with a larger maxQueued.",
    });
  }
}

export class SandboxClosedError extends BaseError {
  override name = "SandboxClosedError";
  constructor() {
    super("The sandbox pool is closed.", { fix: "Create a new pool with createSandboxPool()." });
  }
}

export class InvalidResultBundleError extends BaseError {
  override name = "InvalidResultBundleError";
  constructor(reason: string, cause?: unknown) {
    super(`The bytes are not a canonical Accord result bundle: ${reason}.`, {
      cause,
      fix: "Fetch the bundle again from a provider that agreed with the quorum, and check its CID.",
    });
  }
}

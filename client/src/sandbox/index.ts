/**
 * `@accord/client/sandbox`: the deterministic WebAssembly sandbox. It defines what a correct
 * result is: requesters dry-run jobs with the very code providers run. See docs/PROTOCOL.md.
 */
import { createSandboxPool, type RunOptions } from "./pool.ts";
import type { ResultBundle, SandboxJob } from "./types.ts";

export { decodeResultBundle, encodeResultBundle, resultCid } from "./bundle.ts";
export { DEFAULT_LIMITS, MAX_LIMITS, SANDBOX_ABI_VERSION } from "./constants.ts";
export * from "./errors.ts";
export { shareBytes, shareJob } from "./job.ts";
export { createSandboxPool, type RunOptions, type SandboxPool, type SandboxPoolOptions } from "./pool.ts";
export { LIMIT_KINDS, TRAP_KINDS } from "./types.ts";
export type { LimitKind, ResultBundle, ResultStatus, SandboxJob, SandboxLimits, TrapKind } from "./types.ts";
export { type ModuleInfo, validateModule } from "./validate.ts";

/** Runs one job in a fresh single-worker pool (for dry runs; providers keep a pool). */
export async function runJob(job: SandboxJob, options: RunOptions = {}): Promise<ResultBundle> {
  const pool = createSandboxPool({ size: 1, maxQueued: 1 });
  try {
    return await pool.run(job, options);
  } finally {
    await pool.close();
  }
}

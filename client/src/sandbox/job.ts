/** Checks a job's shape before it is sent to a sandbox process, so bad input fails fast and clearly. */
import { MAX_ARGS_BYTES, MAX_ENV_BYTES } from "./constants.ts";
import { InvalidJobError } from "./errors.ts";
import type { SandboxJob } from "./types.ts";
import { validateLimits } from "./validate.ts";

const SEED_BYTES = 32;

export function checkJob(job: SandboxJob): void {
  if (typeof job !== "object" || job === null) throw new InvalidJobError("it is not an object", "Pass a SandboxJob.");
  if (!(job.module instanceof Uint8Array)) throw new InvalidJobError("module is not a Uint8Array", "Pass the .wasm file's bytes.");
  validateLimits(job.limits);
  if (!Array.isArray(job.args) || job.args.some((a) => typeof a !== "string" || a.includes("\0"))) {
    throw new InvalidJobError("args must be strings without NUL", 'Pass argv as strings, e.g. ["prog", "--flag"].');
  }
  if (job.args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) > MAX_ARGS_BYTES) throw new InvalidJobError(`args exceed ${MAX_ARGS_BYTES} bytes`, "Pass large data as an input file.");
  if (typeof job.env !== "object" || job.env === null) throw new InvalidJobError("env is not an object", "Pass env as { NAME: value }.");
  let envBytes = 0;
  for (const [k, v] of Object.entries(job.env)) {
    if (!k || k.includes("=") || k.includes("\0") || typeof v !== "string" || v.includes("\0")) {
      throw new InvalidJobError(`env entry "${k}" is invalid`, "Use non-empty names without '=' or NUL, and string values without NUL.");
    }
    envBytes += Buffer.byteLength(k) + Buffer.byteLength(v) + 2;
  }
  if (envBytes > MAX_ENV_BYTES) throw new InvalidJobError(`env exceeds ${MAX_ENV_BYTES} bytes`, "Pass large data as an input file.");
  if (job.stdin !== undefined && !(job.stdin instanceof Uint8Array)) throw new InvalidJobError("stdin is not a Uint8Array", "Pass stdin as bytes.");
  if (!(job.seed instanceof Uint8Array) || job.seed.length !== SEED_BYTES) {
    throw new InvalidJobError(`seed must be ${SEED_BYTES} bytes`, "Derive the seed from the manifest as the protocol says (32 bytes).");
  }
}

/**
 * Copies bytes once into a SharedArrayBuffer, which marks them as the same bytes for every run:
 * the pool writes large ones to one transport file that each run's sandbox process reads
 * (transport.ts SharedFiles), instead of writing a file per run (a 64 MiB input costs a full
 * copy per run otherwise). Bytes already backed by a SharedArrayBuffer are returned as they are.
 */
export function shareBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

/**
 * The job with its module, stdin and inputs in shared memory: run it any number of times with no
 * per-run copy. A sandbox process only reads shared bytes (/input is read-only to the module), but the
 * caller must not write to them while a run that uses them is in flight, or the result is not
 * a function of the job.
 */
export function shareJob(job: SandboxJob): SandboxJob {
  const inputs = job.inputs && Object.fromEntries(Object.entries(job.inputs).map(([path, data]) => [path, shareBytes(data)]));
  return { ...job, module: shareBytes(job.module), stdin: job.stdin && shareBytes(job.stdin), inputs };
}

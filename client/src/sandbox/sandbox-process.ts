/**
 * A sandbox process (see pool.ts): validates, instruments and runs one job at a time, on its
 * main thread. Compiled modules are cached by content hash and memory cap, so a provider
 * running many jobs of one module compiles it once per process.
 *
 * Why a process: a worker thread's heap limit does not protect the process that holds it (V8
 * aborts the whole process when any isolate reaches its limit, nodejs/node#47224), so untrusted
 * code lives in a process of its own, whose death the pool sees as an exit. The pool starts it
 * with the native stack and V8 flags the deterministic stack budget needs.
 */
import { createHash } from "node:crypto";
import { flushCompileCache } from "node:module";
import { executeModule } from "./execute.ts";
import type { NanMode } from "./instrument.ts";
import { ModuleCache } from "./module-cache.ts";
import { Arena, packBytes, unpackBytes } from "./transport.ts";
import { prepareModule } from "./validate.ts";
import type { SandboxJob } from "./types.ts";

// Everything this process needs is loaded: keep its compiled form for the next one (the pool
// kills processes, so Node's write at exit never happens).
flushCompileCache();

const COMPILED_CACHE_ENTRIES = 8;
type Compiled = {
  module: WebAssembly.Module;
  hasStart: boolean;
  nanChecks: boolean;
  exact?: Promise<WebAssembly.Module>;
  /** The exact-NaN module, for modules whose optimistic run may need it (see execute.ts). */
  exactModule?: () => Promise<WebAssembly.Module>;
};
const cache = new Map<string, Compiled>();
/** Job bytes up to this size are read into memory kept for the next job (see Arena). */
const ARENA_MAX_BYTES = 256 * 1_048_576;
const arena = new Arena(ARENA_MAX_BYTES);
/** Set by the pool (SandboxPoolOptions.cacheDir); unset, every process prepares its own modules. */
const disk = process.env.ACCORD_SANDBOX_CACHE_DIR ? new ModuleCache(process.env.ACCORD_SANDBOX_CACHE_DIR) : undefined;

/** `job`'s large byte arrays arrive as files in `dir`, where large result bytes go back (transport.ts). */
export type ProcessRequest = { id: number; dir: string; job: SandboxJob };
export type ProcessReply = { id: number; ok: true; bundle: unknown } | { id: number; ok: false; error: SerializedError };
export type SerializedError = { name: string; message: string; shortMessage?: string; details?: string; fix?: string; stack?: string };

/** Instrumented bytes from the disk cache, or prepared (validated and instrumented) and put there. */
async function instrumented(job: SandboxJob, moduleHash: string, nan: NanMode): Promise<{ module: WebAssembly.Module; hasStart: boolean; nanChecks: boolean }> {
  const cached = disk?.get(moduleHash, job.limits.memoryPages, nan);
  if (cached) {
    try {
      return { module: await WebAssembly.compile(cached.bytes as Uint8Array<ArrayBuffer>), hasStart: cached.hasStart, nanChecks: cached.nanChecks };
    } catch {
      disk!.invalidate(moduleHash, job.limits.memoryPages, nan); // damaged: prepare it again below
    }
  }
  const { instrumented: out } = prepareModule(job.module, job.limits, nan);
  const module = await WebAssembly.compile(out.bytes as Uint8Array<ArrayBuffer>);
  disk?.put(moduleHash, job.limits.memoryPages, nan, out);
  return { module, hasStart: out.hasStart, nanChecks: out.nanChecks };
}

async function compiled(job: SandboxJob): Promise<Compiled> {
  const moduleHash = createHash("sha256").update(job.module).digest("hex");
  const key = `${moduleHash}:${job.limits.memoryPages}`;
  let hit = cache.get(key);
  if (!hit) {
    const fast = await instrumented(job, moduleHash, "optimistic");
    // Compiled only when a run of this module first needs it, then kept with the fast one.
    const exact = () => (entry.exact ??= instrumented(job, moduleHash, "exact").then((m) => m.module));
    const entry: Compiled = { ...fast, exact: undefined, exactModule: fast.nanChecks ? exact : undefined };
    hit = entry;
    if (cache.size >= COMPILED_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  } else {
    cache.delete(key); // refresh its place in the LRU order
  }
  cache.set(key, hit);
  return hit;
}

const reply = (message: ProcessReply) => process.send!(message);

process.on("message", async ({ id, dir, job: packed }: ProcessRequest) => {
  try {
    const job = unpackBytes(packed, { arena });
    const hit = await compiled(job);
    const bundle = await executeModule({ module: hit.module, hasStart: hit.hasStart, job, exact: hit.exactModule });
    reply({ id, ok: true, bundle: packBytes(bundle, dir, [], `r${id}`) });
  } catch (err) {
    const e = err as Error & Partial<SerializedError>;
    reply({
      id, ok: false,
      error: { name: e?.name ?? "Error", message: String(e?.message ?? err), shortMessage: e?.shortMessage, details: e?.details, fix: e?.fix, stack: e?.stack },
    });
  } finally {
    arena.endJob();
  }
});

// The pool's process is gone (crashed or killed without closing us): nobody will read a result.
process.on("disconnect", () => process.exit(0));

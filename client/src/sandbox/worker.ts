/**
 * A sandbox worker thread: validates, instruments and runs one job at a time. Compiled modules
 * are cached by content hash and memory cap, so a provider running many jobs of one module
 * compiles it once per worker.
 */
import { createHash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { executeModule } from "./execute.ts";
import { prepareModule } from "./validate.ts";
import type { SandboxJob } from "./types.ts";

const COMPILED_CACHE_ENTRIES = 8;
const cache = new Map<string, { module: WebAssembly.Module; hasStart: boolean }>();

export type WorkerRequest = { id: number; job: SandboxJob };
export type WorkerReply = { id: number; ok: true; bundle: unknown } | { id: number; ok: false; error: SerializedError };
export type SerializedError = { name: string; message: string; shortMessage?: string; details?: string; fix?: string; stack?: string };

async function compiled(job: SandboxJob) {
  const key = `${createHash("sha256").update(job.module).digest("hex")}:${job.limits.memoryPages}`;
  let hit = cache.get(key);
  if (!hit) {
    // The WebAssembly API refuses views of shared memory: parse a private copy.
    const bytes = job.module.buffer instanceof SharedArrayBuffer ? job.module.slice() : job.module;
    const prepared = prepareModule(bytes, job.limits);
    hit = { module: await WebAssembly.compile(prepared.instrumented.bytes as Uint8Array<ArrayBuffer>), hasStart: prepared.instrumented.hasStart };
    if (cache.size >= COMPILED_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  } else {
    cache.delete(key); // refresh its place in the LRU order
  }
  cache.set(key, hit);
  return hit;
}

parentPort!.on("message", async ({ id, job }: WorkerRequest) => {
  try {
    const { module, hasStart } = await compiled(job);
    const bundle = await executeModule({ module, hasStart, job });
    const transfer = [bundle.stdout.buffer, bundle.stderr.buffer, ...Object.values(bundle.files).map((f) => f.buffer)] as ArrayBuffer[];
    parentPort!.postMessage({ id, ok: true, bundle } satisfies WorkerReply, transfer);
  } catch (err) {
    const e = err as Error & Partial<SerializedError>;
    parentPort!.postMessage({
      id, ok: false,
      error: { name: e?.name ?? "Error", message: String(e?.message ?? err), shortMessage: e?.shortMessage, details: e?.details, fix: e?.fix, stack: e?.stack },
    } satisfies WorkerReply);
  }
});

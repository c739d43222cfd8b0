// The reference sandbox in a Web Worker: the form's dry run runs the job here, with the code
// every provider runs (validation, metering, the WASI host), off the page's thread.
import { loadSandboxJob } from "@accord/client/job";
import type { Manifest } from "@accord/client/manifest";
import { manifestCid } from "@accord/client/manifest";
import { resultCid } from "@accord/client/sandbox/bundle";
import { executeModule } from "@accord/client/sandbox/execute";
import { prepareModule } from "@accord/client/sandbox/validate";
import * as nodeCrypto from "node:crypto";
import { createCipheriv as chacha20Cipheriv } from "./chacha20-cipher.ts";
import type { DryRunReply, DryRunRequest } from "./dry-run.ts";

// The WASI host draws random_get's bytes from node:crypto's chacha20 cipher; the browser build
// gives node:crypto as crypto-browserify, which has no chacha20. Its exports object is the one
// the host's import reads at run time, so chacha20 is put on it (other ciphers pass through).
{
  const target = ((nodeCrypto as unknown as { default?: unknown }).default ?? nodeCrypto) as { createCipheriv: (...a: unknown[]) => unknown };
  const original = target.createCipheriv;
  target.createCipheriv = (algorithm: unknown, ...rest: unknown[]) =>
    algorithm === "chacha20" ? chacha20Cipheriv("chacha20", rest[0] as Uint8Array, rest[1] as Uint8Array) : original(algorithm, ...rest);
}

async function compile(bytes: Uint8Array, memoryPages: number, nan: "optimistic" | "exact") {
  const { instrumented } = prepareModule(bytes, { memoryPages }, nan);
  return { module: await WebAssembly.compile(instrumented.bytes as Uint8Array<ArrayBuffer>), hasStart: instrumented.hasStart, nanChecks: instrumented.nanChecks };
}

async function dryRun({ manifest, blocks }: DryRunRequest): Promise<DryRunReply> {
  const cid = await manifestCid(manifest as Manifest);
  const job = await loadSandboxJob(manifest as Manifest, cid, async (c) => {
    const bytes = blocks[c.toString()];
    if (!bytes) throw new Error(`the dry run has no bytes for ${c}`);
    return bytes;
  });
  const t0 = performance.now();
  const fast = await compile(job.module, job.limits.memoryPages, "optimistic");
  const bundle = await executeModule({
    module: fast.module,
    hasStart: fast.hasStart,
    job,
    exact: fast.nanChecks ? async () => (await compile(job.module, job.limits.memoryPages, "exact")).module : undefined,
  });
  return { ok: true, manifestCid: cid.toString(), resultCid: (await resultCid(bundle)).toString(), bundle, wallMs: performance.now() - t0 };
}

self.onmessage = async (e: MessageEvent<DryRunRequest>) => {
  try {
    self.postMessage(await dryRun(e.data));
  } catch (err) {
    const x = err as { shortMessage?: string; message?: string; fix?: string; name?: string };
    self.postMessage({ ok: false, error: { name: x.name ?? "Error", message: x.shortMessage ?? x.message ?? String(err), fix: x.fix } } satisfies DryRunReply);
  }
};

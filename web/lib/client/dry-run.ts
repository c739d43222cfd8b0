import type { Manifest } from "@accord/client/manifest";
import type { ResultBundle } from "@accord/client/sandbox";

export type DryRunRequest = { manifest: Manifest; blocks: Record<string, Uint8Array> };
export type DryRunReply =
  | { ok: true; manifestCid: string; resultCid: string; bundle: ResultBundle; wallMs: number }
  | { ok: false; error: { name: string; message: string; fix?: string } };
export type DryRunResult = Extract<DryRunReply, { ok: true }>;

/** A dry run the worker refused or could not finish, in the sandbox's words. */
export class DryRunError extends Error {
  fix?: string;
  constructor(e: { name: string; message: string; fix?: string }) {
    super(e.message);
    this.name = e.name;
    this.fix = e.fix;
  }
}

/**
 * Runs `manifest` in the reference sandbox in a Web Worker, with the bytes of its module, stdin
 * and inputs by CID: the result CID is the one honest providers commit to for this manifest. A
 * fresh worker per run, ended after it, so a runaway module costs nothing once it is stopped.
 */
export function dryRunInWorker(request: DryRunRequest, signal?: AbortSignal): Promise<DryRunResult> {
  const worker = new Worker(new URL("./dry-run.worker.ts", import.meta.url), { type: "module" });
  return new Promise<DryRunResult>((resolve, reject) => {
    const end = () => worker.terminate();
    signal?.addEventListener("abort", () => (end(), reject(new DryRunError({ name: "AbortError", message: "The dry run was stopped." }))), { once: true });
    worker.onmessage = (e: MessageEvent<DryRunReply>) => {
      end();
      if (e.data.ok) resolve(e.data);
      else reject(new DryRunError(e.data.error));
    };
    worker.onerror = (e) => {
      end();
      reject(new DryRunError({ name: "WorkerError", message: `The sandbox worker failed: ${e.message}` }));
    };
    worker.postMessage(request);
  });
}

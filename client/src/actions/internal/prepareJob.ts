import type { CID } from "multiformats/cid";
import { cidOfBytes } from "../../content/cid.ts";
import type { ContentStore } from "../../content/store.ts";
import { encodeManifest, MANIFEST_RUNTIME, MANIFEST_VERSION, parseManifest, type Manifest, type ManifestLimits } from "../../manifest/index.ts";
import { DEFAULT_LIMITS } from "../../sandbox/constants.ts";

/** argv[0] when the caller gives no args: programs built with libc expect a program name there. */
export const DEFAULT_PROGRAM_NAME = "program";

/** What a requester says about a job: the program, its inputs and limits. */
export type JobSpec = {
  /** The WebAssembly module (WASI preview 1). */
  module: Uint8Array;
  /** Files mounted read-only under /input, by path relative to it. */
  inputs?: Record<string, Uint8Array>;
  stdin?: Uint8Array;
  /** argv, args[0] being the program name (default ["program"]). */
  args?: string[];
  env?: Record<string, string>;
  /** Sandbox limits; unset ones take the sandbox defaults. */
  limits?: Partial<ManifestLimits>;
  /** Changes the manifest CID, and so the job's randomness seed, without changing the job. */
  nonce?: string;
};

export type UploadProgress = { name: string; bytes: number; ms: number; cid: string };

export type PreparedJob = {
  manifest: Manifest;
  manifestBytes: Uint8Array;
  manifestCid: CID;
  /** Every CID the job needs, with its bytes, for serving or for a local dry run. */
  blocks: Map<string, Uint8Array>;
};

/**
 * Builds the canonical manifest of a job, adding the module, inputs and manifest to `store`
 * when one is given (pinned, so they stay served until the job is done) or only computing
 * their CIDs otherwise (dry run). Both paths give the same CIDs.
 */
export async function prepareJob(
  spec: JobSpec,
  resultPublicKey: string,
  options: { store?: ContentStore; signal?: AbortSignal; onUpload?: (p: UploadProgress) => void } = {},
): Promise<PreparedJob> {
  const { store, signal } = options;
  const blocks = new Map<string, Uint8Array>();
  const put = async (name: string, bytes: Uint8Array): Promise<string> => {
    signal?.throwIfAborted();
    const t0 = performance.now();
    const cid = store ? await store.add(bytes, { signal }) : await cidOfBytes(bytes);
    const text = cid.toString();
    blocks.set(text, bytes);
    options.onUpload?.({ name, bytes: bytes.length, ms: performance.now() - t0, cid: text });
    return text;
  };

  const moduleCid = await put("module", spec.module);
  const stdin = spec.stdin ? await put("stdin", spec.stdin) : undefined;
  const inputs: Record<string, string> = {};
  for (const path of Object.keys(spec.inputs ?? {}).sort()) inputs[path] = await put(`input ${path}`, spec.inputs![path]!);

  const manifest = parseManifest({
    version: MANIFEST_VERSION,
    runtime: MANIFEST_RUNTIME,
    module: moduleCid,
    args: spec.args ?? [DEFAULT_PROGRAM_NAME],
    env: spec.env ?? {},
    ...(stdin ? { stdin } : {}),
    inputs,
    limits: { ...DEFAULT_LIMITS, ...spec.limits },
    resultPublicKey: resultPublicKey.toLowerCase(),
    ...(spec.nonce !== undefined ? { nonce: spec.nonce } : {}),
  });
  const manifestBytes = encodeManifest(manifest);
  const manifestCid = store ? await store.add(manifestBytes, { signal }) : await cidOfBytes(manifestBytes);
  blocks.set(manifestCid.toString(), manifestBytes);
  return { manifest, manifestBytes, manifestCid, blocks };
}

import type { CID } from "multiformats/cid";
import type { ContentStore } from "@accord/client/content/index.ts";
import { decodeManifest, MAX_MANIFEST_BYTES, type Manifest } from "@accord/client/manifest/index.ts";
import { loadSandboxJob } from "@accord/client/job/sandboxJob.ts";
import { validateModule, type SandboxJob } from "@accord/client/sandbox/index.ts";
import type { ProviderLimits } from "../constants.ts";

export type LoadedJob = {
  manifest: Manifest;
  job: SandboxJob;
  moduleBytes: number;
  inputBytes: number;
};

export type LoadJobParameters = {
  content: ContentStore;
  manifestCid: CID;
  limits: ProviderLimits;
  /** Peers likely to hold the content (the requester's node), tried before the DHT. */
  from?: string[];
  signal?: AbortSignal;
};

/** The manifest alone, canonical and within MAX_MANIFEST_BYTES, or InvalidManifestError / ContentNotFoundError. */
export async function fetchManifest(p: LoadJobParameters): Promise<Manifest> {
  const bytes = await p.content.getBytes(p.manifestCid, { maxBytes: MAX_MANIFEST_BYTES, timeoutMs: p.limits.manifestFetchTimeoutMs, from: p.from, signal: p.signal });
  return decodeManifest(bytes);
}

/**
 * Fetches everything a job needs (verified block by block against its CID, within this node's
 * size limits) and checks the module is one the sandbox accepts. The node does this before it
 * bids: a module every provider would refuse is a job every winner would be slashed for.
 */
export async function loadJob(p: LoadJobParameters, manifest?: Manifest): Promise<LoadedJob> {
  const m = manifest ?? (await fetchManifest(p));
  const fetchBytes = (cid: CID, o: { signal?: AbortSignal; maxBytes?: number }) =>
    p.content.getBytes(cid, { maxBytes: o.maxBytes, timeoutMs: p.limits.contentFetchTimeoutMs, from: p.from, signal: o.signal });
  const job = await loadSandboxJob(m, p.manifestCid, fetchBytes, { signal: p.signal, maxModuleBytes: p.limits.maxModuleBytes, maxInputBytes: p.limits.maxInputBytes });
  validateModule(job.module, { memoryPages: m.limits.memoryPages });
  const inputBytes = (job.stdin?.length ?? 0) + Object.values(job.inputs ?? {}).reduce((n, b) => n + b.length, 0);
  return { manifest: m, job, moduleBytes: job.module.length, inputBytes };
}

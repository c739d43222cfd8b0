import type { CID } from "multiformats/cid";
import type { AccordClient } from "../client.ts";
import { ContentNotFoundError } from "../content/errors.ts";
import { loadSandboxJob } from "../job/sandboxJob.ts";
import type { InvalidManifestError, Manifest } from "../manifest/index.ts";
import { generateResultKey } from "../seal/seal.ts";
import { jobResultOf, type JobResult } from "../sandbox/bundle.ts";
import { DEFAULT_LIMITS, resultCid as bundleCid, runJob, validateModule, type InvalidModuleError } from "../sandbox/index.ts";
import { prepareJob, type JobSpec } from "./internal/jobContent.ts";

export type DryRunParameters = JobSpec & { signal?: AbortSignal };

export type { JobResult };

export type DryRunReturnType = JobResult & {
  manifest: Manifest;
  manifestCid: CID;
  /** The CID honest providers will commit to for this manifest. */
  resultCid: CID;
  /** Host time the sandbox took, for a feel of the job's size (fuel is the real measure). */
  wallMs: number;
};

export type DryRunErrorType = InvalidManifestError | InvalidModuleError;

/**
 * Runs the job in the local sandbox, exactly as a provider would (same manifest, same seed,
 * same mapping), to learn its fuel and result CID before paying anyone. Needs no chain and
 * no network. The manifest uses the client's result key, so its CID is the one submitJob posts.
 */
export async function dryRun(client: Pick<AccordClient, "resultKey">, parameters: DryRunParameters): Promise<DryRunReturnType> {
  const { signal } = parameters;
  const limits = parameters.limits ?? {};
  // Refuse a bad module with the sandbox's own words before building anything else.
  validateModule(parameters.module, { memoryPages: limits.memoryPages ?? DEFAULT_LIMITS.memoryPages });
  const key = client.resultKey ?? generateResultKey();
  const prepared = await prepareJob(parameters, key.publicKeyHex, { signal });
  const job = await loadSandboxJob(prepared.manifest, prepared.manifestCid, async (cid) => {
    const bytes = prepared.blocks.get(cid.toString());
    if (!bytes) throw new ContentNotFoundError(cid.toString(), 0, { offline: true });
    return bytes;
  }, { signal });
  const t0 = performance.now();
  const bundle = await runJob(job, { signal });
  const wallMs = performance.now() - t0;
  return {
    manifest: prepared.manifest,
    manifestCid: prepared.manifestCid,
    resultCid: await bundleCid(bundle),
    ...jobResultOf(bundle),
    wallMs,
  };
}

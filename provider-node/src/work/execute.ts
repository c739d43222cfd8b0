import { encodeResultBundle, type ResultBundle, type SandboxPool } from "@accord/client/sandbox/index.ts";
import { sealResult } from "@accord/client/seal/index.ts";
import type { ContentStore } from "@accord/client/content/index.ts";
import type { Manifest } from "@accord/client/manifest/index.ts";
import type { SandboxJob } from "@accord/client/sandbox/index.ts";
import type { Fault } from "../faults.ts";

export type ExecuteParameters = {
  pool: SandboxPool;
  content: ContentStore;
  jobId: bigint;
  manifest: Manifest;
  job: SandboxJob;
  fault?: Fault;
  signal?: AbortSignal;
};

export type ExecuteResult = {
  /** CID of the plaintext result bundle: what the provider commits to. */
  resultCid: string;
  /** CID of the bundle sealed to the requester, pinned in this node's content store. */
  sealedCid: string;
  fuelUsed: number;
  runMs: number;
  status: ResultBundle["status"];
};

/**
 * Runs the job and delivers the result: the plaintext bundle's CID is what the quorum compares;
 * only the sealed bundle (readable by the requester alone) enters the content store, because
 * every block there is served to whoever asks for its CID, and the result CID goes on-chain.
 */
export async function executeAndSeal(p: ExecuteParameters): Promise<ExecuteResult> {
  const started = performance.now();
  const bundle = await p.pool.run(p.job, { signal: p.signal });
  const runMs = performance.now() - started;
  const honest = encodeResultBundle(bundle);
  const plaintext = p.fault === "wrong-result" ? encodeResultBundle({ ...bundle, stdout: Buffer.concat([bundle.stdout, Buffer.from("\n[wrong-result fault]\n")]) }) : honest;
  const { envelope, resultCid } = await sealResult({ plaintext, recipientPublicKey: p.manifest.resultPublicKey, jobId: p.jobId });
  p.signal?.throwIfAborted();
  const sealed = await p.content.add(envelope, { pin: true, signal: p.signal });
  return { resultCid: resultCid.toString(), sealedCid: sealed.toString(), fuelUsed: bundle.fuelUsed, runMs, status: bundle.status };
}

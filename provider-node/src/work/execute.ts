import { encodeResultBundle, type ResultBundle, type SandboxJob, type SandboxPool } from "@accord/client/sandbox";
import { sealResult } from "@accord/client/seal";
import { cidOfBytes, type ContentStore } from "@accord/client/content";
import type { Manifest } from "@accord/client/manifest";
import { HONEST, type ProviderBehaviour } from "../behaviour.ts";

export type ExecuteParameters = {
  pool: SandboxPool;
  jobId: bigint;
  job: SandboxJob;
  /** Honest unless given: a fault mode may alter the result it commits to. */
  behaviour?: ProviderBehaviour;
  signal?: AbortSignal;
};

export type ExecuteResult = {
  /** CID of the plaintext result bundle: what the provider commits to. */
  resultCid: string;
  /** The plaintext result bundle. Never enters the content store (every block there is served to whoever asks). */
  plaintext: Uint8Array;
  fuelUsed: number;
  runMs: number;
  status: ResultBundle["status"];
};

export type SealParameters = {
  content: ContentStore;
  jobId: bigint;
  plaintext: Uint8Array;
  recipientPublicKey: Manifest["resultPublicKey"];
  signal?: AbortSignal;
};

/** Runs the job: the plaintext bundle and its CID, which is what the quorum compares. */
export async function executeJob(p: ExecuteParameters): Promise<ExecuteResult> {
  const started = performance.now();
  const bundle = (p.behaviour ?? HONEST).resultFor(p.jobId, await p.pool.run(p.job, { signal: p.signal }));
  const runMs = performance.now() - started;
  const plaintext = encodeResultBundle(bundle);
  const resultCid = await cidOfBytes(plaintext);
  return { resultCid: resultCid.toString(), plaintext, fuelUsed: bundle.fuelUsed, runMs, status: bundle.status };
}

/**
 * Seals the plaintext bundle to the requester and pins the envelope: only the sealed bundle
 * (readable by the requester alone) enters the content store. Returns the sealed CID, what the
 * reveal names. A fresh ephemeral key each time, so each seal of the same bundle has a new CID.
 */
export async function sealAndStore(p: SealParameters): Promise<string> {
  const { envelope } = await sealResult({ plaintext: p.plaintext, recipientPublicKey: p.recipientPublicKey, jobId: p.jobId });
  p.signal?.throwIfAborted();
  return (await p.content.add(envelope, { pin: true, signal: p.signal })).toString();
}

import type { Address } from "viem";
import type { AccordClient } from "../../client.ts";
import { readProvider } from "../../chain/market.ts";
import { cidDigest, parseCid } from "../../content/cid.ts";
import { ContentNotFoundError } from "../../content/errors.ts";
import { decodeResultBundle, jobResultOf, type JobResult } from "../../sandbox/bundle.ts";
import { openResult } from "../../seal/seal.ts";
import { ResultKeyRequiredError } from "../../client.ts";
import { ResultUnavailableError, type ResultAttempt } from "../errors.ts";
import type { JobHistory } from "../../chain/jobHistory.ts";
import { dialableAddresses } from "../../chain/peerAddresses.ts";

/** Waiting for one provider's sealed result before trying the next. */
export const RESULT_FETCH_TIMEOUT_MS = 15_000;
/** Largest sealed result fetched whole (the seal's own cap is far above what jobs produce). */
export const MAX_SEALED_RESULT_BYTES = 256 * 1024 * 1024;

const NO_ADDRESS = "it registered no dialable address";

export type FetchedResult = JobResult & { resultCid: string; provider: Address; sealedResultCid: string };
export type FetchProgress = { provider: Address; sealedResultCid: string; outcome: "ok" | "failed"; error?: string; ms: number };

/**
 * Fetches the sealed result from each provider that revealed the consensus, in reveal order:
 * from its registered addresses first, then through the DHT. The first one that decrypts to
 * exactly the consensus CID wins; a result with another CID is refused (ResultMismatchError)
 * and the next provider is tried.
 */
export async function fetchConsensusResult(
  client: AccordClient,
  job: JobHistory,
  options: { signal?: AbortSignal; timeoutMs?: number; onAttempt?: (p: FetchProgress) => void } = {},
): Promise<FetchedResult> {
  if (!client.resultKey) throw new ResultKeyRequiredError();
  const digest = job.settlement?.resultDigest;
  const agreeing = job.reveals.filter((r) => {
    try {
      return digest !== undefined && cidDigest(r.resultCid) === digest;
    } catch {
      return false;
    }
  });
  const node = await client.getNode({ signal: options.signal });
  const attempts: ResultAttempt[] = [];
  let lastError: unknown;
  // Direct from each provider first; then, through the DHT, those that could not be reached
  // (a provider that served a wrong result is not asked again).
  let queue = agreeing;
  for (const useDht of [false, true]) {
    const retry: typeof agreeing = [];
    for (const r of queue) {
      options.signal?.throwIfAborted();
      const t0 = performance.now();
      try {
        let from: string[] | undefined;
        if (!useDht) {
          const info = await readProvider(client.publicClient, client.deployment.jobMarket, r.provider);
          from = dialableAddresses(info.peerId, info.multiaddrs);
          if (from.length === 0) throw new Error(NO_ADDRESS);
        }
        const envelope = await node.content.getBytes(parseCid(r.sealedResultCid), {
          from,
          timeoutMs: options.timeoutMs ?? RESULT_FETCH_TIMEOUT_MS,
          maxBytes: MAX_SEALED_RESULT_BYTES,
          signal: options.signal,
        });
        const plaintext = await openResult({ envelope, secretKey: client.resultKey.secretKey, jobId: job.jobId, expectedCid: parseCid(r.resultCid) });
        const bundle = decodeResultBundle(plaintext);
        options.onAttempt?.({ provider: r.provider, sealedResultCid: r.sealedResultCid, outcome: "ok", ms: performance.now() - t0 });
        return {
          ...jobResultOf(bundle),
          resultCid: r.resultCid,
          provider: r.provider,
          sealedResultCid: r.sealedResultCid,
        };
      } catch (err) {
        if (options.signal?.aborted) throw err;
        lastError = err;
        const msg = (err as { shortMessage?: string }).shortMessage ?? (err as Error).message;
        attempts.push({ provider: `${r.provider}${useDht ? " (via DHT)" : ""}`, error: msg });
        options.onAttempt?.({ provider: r.provider, sealedResultCid: r.sealedResultCid, outcome: "failed", error: msg, ms: performance.now() - t0 });
        if (err instanceof ContentNotFoundError || (err as Error).message === NO_ADDRESS) retry.push(r);
      }
    }
    queue = retry;
  }
  if (agreeing.length === 0) attempts.push({ provider: "(none)", error: "no provider revealed the consensus digest" });
  throw new ResultUnavailableError(job.jobId, attempts, lastError);
}

import { CID } from "multiformats/cid";
import { getAddress, isAddress } from "viem";
import { parseRunNonce, RUN_NONCE_PREFIX } from "./runs.ts";

/**
 * What a search box query can name, by its form alone: the server then looks each reading up in
 * its index. A 0x-hash of 32 bytes is read three ways (a job id in hex, a transaction, a result
 * digest) because nothing in its form tells them apart.
 */
export type SearchQuery =
  | { kind: "jobId"; jobId: bigint }
  | { kind: "address"; address: `0x${string}` }
  | { kind: "hash"; hash: `0x${string}`; jobId: bigint }
  | { kind: "cid"; cid: string }
  | { kind: "run"; runId: string }
  | { kind: "empty" }
  | { kind: "unknown"; text: string };

/** The forms the search box accepts, as the page lists them when a query matches none. */
export const SEARCH_FORMS = [
  "a job id (decimal digits, or 0x and 64 hex digits)",
  "an address (0x and 40 hex digits): its provider or account page",
  "a transaction hash (0x and 64 hex digits): the job it belongs to",
  "a manifest, result or sealed result CID (bafy…, bafk…, Qm…): the jobs that name it",
  "a run id (16 hex digits, as accord run prints it) or an attempt's nonce (accord-run/…): the run's page",
] as const;

/** Longest decimal a uint256 job id can be. */
const MAX_JOB_ID_DIGITS = 78;

export function classifyQuery(raw: string): SearchQuery {
  const text = raw.trim();
  if (!text) return { kind: "empty" };
  if (/^\d+$/.test(text) && text.length <= MAX_JOB_ID_DIGITS) return { kind: "jobId", jobId: BigInt(text) };
  if (/^0x[0-9a-fA-F]{40}$/.test(text) && isAddress(text, { strict: false })) return { kind: "address", address: getAddress(text) };
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return { kind: "hash", hash: text.toLowerCase() as `0x${string}`, jobId: BigInt(text) };
  // A run id as runTasks makes it; one of only decimal digits was read as a job id above.
  if (/^[0-9a-f]{16}$/.test(text)) return { kind: "run", runId: text };
  if (text.startsWith(RUN_NONCE_PREFIX)) {
    const tag = parseRunNonce(text);
    if (tag) return { kind: "run", runId: tag.runId };
  }
  try {
    // One spelling per CID (v1, base32), whichever base or version was pasted.
    return { kind: "cid", cid: CID.parse(text).toV1().toString() };
  } catch {
    return { kind: "unknown", text };
  }
}

/** The same CID in the spelling `classifyQuery` gives, or undefined for a string that is none. */
export function normalCid(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    return CID.parse(text).toV1().toString();
  } catch {
    return undefined;
  }
}

import { CID } from "multiformats/cid";
import { SEAL_MAGIC, SEAL_VERSION } from "./constants.ts";
import { InvalidSealedResultError } from "./errors.ts";

/**
 * Sealed result, version 1 (all integers big-endian):
 *
 *   magic "ACSR" (4) | version = 1 (1) | job id, uint256 (32) | CID length (1) | result CID (binary)
 *   | ephemeral x25519 public key (32) | nonce prefix (16) | chunks…
 *
 * The header is in clear and is the associated data of every chunk, so nothing in it can be
 * changed without failing authentication. Chunks are XChaCha20-Poly1305 over SEAL_CHUNK_BYTES
 * of plaintext (the last may be shorter; an empty plaintext is one empty chunk), with nonce
 * prefix | chunk index (7 bytes) | last-chunk flag (1), so chunks cannot be reordered, dropped
 * or truncated (the STREAM construction, as in age).
 */
export type SealHeader = {
  version: number;
  jobId: bigint;
  resultCid: CID;
  ephemeralPublicKey: Uint8Array;
  noncePrefix: Uint8Array;
};

export const NONCE_PREFIX_BYTES = 16;
export const TAG_BYTES = 16;
const JOB_ID_BYTES = 32;
const KEY_BYTES = 32;
const MAX_UINT256 = (1n << 256n) - 1n;

export function jobIdBytes(jobId: bigint): Uint8Array {
  if (typeof jobId !== "bigint" || jobId < 0n || jobId > MAX_UINT256)
    throw new InvalidSealedResultError(`job id ${String(jobId)} is not a uint256 bigint`);
  return Uint8Array.from(Buffer.from(jobId.toString(16).padStart(64, "0"), "hex"));
}

export function encodeHeader(h: Omit<SealHeader, "version">): Uint8Array {
  const cid = h.resultCid.bytes;
  if (cid.length > 255) throw new InvalidSealedResultError("the result CID is longer than 255 bytes");
  return Buffer.concat([SEAL_MAGIC, Uint8Array.of(SEAL_VERSION), jobIdBytes(h.jobId), Uint8Array.of(cid.length), cid, h.ephemeralPublicKey, h.noncePrefix]);
}

/** Reads the clear header; `headerBytes` is the associated data, `body` the chunks. */
export function decodeHeader(envelope: Uint8Array): { header: SealHeader; headerBytes: Uint8Array; body: Uint8Array } {
  const fixed = SEAL_MAGIC.length + 1 + JOB_ID_BYTES + 1;
  if (envelope.length < fixed) throw new InvalidSealedResultError(`it is only ${envelope.length} bytes`);
  if (!SEAL_MAGIC.every((b, i) => envelope[i] === b)) throw new InvalidSealedResultError("it does not start with the ACSR magic");
  const version = envelope[SEAL_MAGIC.length];
  if (version !== SEAL_VERSION)
    throw new InvalidSealedResultError(`format version ${version} is not supported (this client reads version ${SEAL_VERSION}); upgrade @accord/client`);
  let at = SEAL_MAGIC.length + 1;
  const jobId = BigInt(`0x${Buffer.from(envelope.subarray(at, at + JOB_ID_BYTES)).toString("hex")}`);
  at += JOB_ID_BYTES;
  const cidLength = envelope[at++];
  const end = at + cidLength + KEY_BYTES + NONCE_PREFIX_BYTES;
  if (envelope.length < end + TAG_BYTES) throw new InvalidSealedResultError("it is truncated inside its header");
  let resultCid: CID;
  try {
    resultCid = CID.decode(envelope.subarray(at, at + cidLength));
  } catch (err) {
    throw new InvalidSealedResultError(`its result CID does not decode (${(err as Error).message})`);
  }
  at += cidLength;
  const ephemeralPublicKey = envelope.slice(at, at + KEY_BYTES);
  const noncePrefix = envelope.slice(at + KEY_BYTES, end);
  return {
    header: { version, jobId, resultCid, ephemeralPublicKey, noncePrefix },
    headerBytes: envelope.subarray(0, end),
    body: envelope.subarray(end),
  };
}

/** The 24-byte XChaCha nonce of chunk `index`. */
export function chunkNonce(prefix: Uint8Array, index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(24);
  nonce.set(prefix, 0);
  // 7 bytes of index: 2^56 chunks is far beyond any plaintext this format allows.
  new DataView(nonce.buffer).setBigUint64(15, BigInt(index) << 8n | (last ? 1n : 0n));
  return nonce;
}

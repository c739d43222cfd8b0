// The result seal: the requester's x25519 key pair (random, or derived from a wallet signature),
// and a result bundle encrypted to it by a provider and opened and checked by the requester.
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { randomBytes } from "@noble/ciphers/utils.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { CID } from "multiformats/cid";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { cidOfBytes } from "../content/cid.ts";
import { MAX_SEALED_PLAINTEXT_BYTES, RESULT_KEY_KDF_SALT, SEAL_CHUNK_BYTES, SEAL_KDF_INFO } from "./constants.ts";
import { chunkNonce, decodeHeader, encodeHeader, NONCE_PREFIX_BYTES, TAG_BYTES, type SealHeader } from "./envelope.ts";
import { agree, type Agreement } from "./x25519.ts";
import { InvalidResultKeyError, InvalidSealedResultError, ResultMismatchError, SealedResultTamperedError } from "./errors.ts";

export type ResultKeyPair = {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  /** The form a manifest's `resultPublicKey` takes. */
  publicKeyHex: Hex;
};

function pairOf(secretKey: Uint8Array): ResultKeyPair {
  const publicKey = x25519.getPublicKey(secretKey);
  return { secretKey, publicKey, publicKeyHex: bytesToHex(publicKey) };
}

/** A fresh random key pair, for requesters that keep their own key file. */
export function generateResultKey(): ResultKeyPair {
  return pairOf(x25519.utils.randomSecretKey());
}

/**
 * Derives the x25519 key pair from a wallet's signature of RESULT_KEY_MESSAGE, so a web
 * user never stores a key: the same wallet signs the same message to the same bytes
 * (wallets sign with RFC 6979 deterministic nonces and low-s), giving the same key.
 * The signature is a secret from then on: whoever holds it can open the user's results.
 */
export function resultKeyFromSignature(signatureHex: string): ResultKeyPair {
  if (!/^0x([0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/.test(signatureHex))
    throw new InvalidResultKeyError("signature", "expected 0x followed by 128 or 130 hex digits (a 64- or 65-byte secp256k1 signature)");
  const ikm = hexToBytes(signatureHex as Hex);
  const secretKey = hkdf(sha256, ikm, new TextEncoder().encode(RESULT_KEY_KDF_SALT), new TextEncoder().encode("x25519 secret key"), 32);
  return pairOf(secretKey);
}

/** Accepts a key as bytes or 0x-hex and checks its length. */
export function toKeyBytes(key: Uint8Array | string, what: string): Uint8Array {
  if (typeof key === "string") {
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new InvalidResultKeyError(what, "expected 0x followed by 64 hex digits");
    return hexToBytes(key as Hex);
  }
  if (key.length !== 32) throw new InvalidResultKeyError(what, `expected 32 bytes, got ${key.length}`);
  return key;
}

export type SealResultParameters = {
  /** The canonical result bundle, whose CID the provider committed to. */
  plaintext: Uint8Array;
  /** The manifest's `resultPublicKey`. */
  recipientPublicKey: Uint8Array | string;
  jobId: bigint;
  /** Overrides SEAL_CHUNK_BYTES, for tests of multi-chunk envelopes. */
  chunkBytes?: number;
};
export type SealResultReturnType = { envelope: Uint8Array; resultCid: CID };

export type OpenResultParameters = {
  envelope: Uint8Array;
  /** The requester's x25519 secret key (see resultKeyFromSignature). */
  secretKey: Uint8Array | string;
  jobId: bigint;
  /** The CID the quorum agreed on (from the consensus digest). */
  expectedCid: CID;
  chunkBytes?: number;
};

function deriveKey(shared: Uint8Array, ephemeralPublicKey: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(ephemeralPublicKey, 0);
  salt.set(recipientPublicKey, 32);
  return hkdf(sha256, shared, salt, new TextEncoder().encode(SEAL_KDF_INFO), 32);
}

async function sharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Promise<Agreement> {
  try {
    return await agree(secretKey, publicKey);
  } catch (err) {
    // x25519 refuses low-order points (an all-zero secret): that key can protect nothing.
    throw new SealedResultTamperedError(`x25519 refused the key: ${(err as Error).message}`);
  }
}

/**
 * Encrypts a result bundle to the requester: a fresh ephemeral key per seal, so two seals
 * of one result differ and a provider's key compromise reveals nothing it sealed before.
 */
export async function sealResult(params: SealResultParameters): Promise<SealResultReturnType> {
  const { plaintext, jobId, chunkBytes = SEAL_CHUNK_BYTES } = params;
  if (plaintext.length > MAX_SEALED_PLAINTEXT_BYTES)
    throw new InvalidSealedResultError(`the plaintext is ${plaintext.length} bytes, more than MAX_SEALED_PLAINTEXT_BYTES (${MAX_SEALED_PLAINTEXT_BYTES})`);
  const recipient = toKeyBytes(params.recipientPublicKey, "recipient public key");
  const resultCid = await cidOfBytes(plaintext);
  const ephemeralSecret = x25519.utils.randomSecretKey();
  const { ownPublicKey: ephemeralPublicKey, shared } = await sharedSecret(ephemeralSecret, recipient);
  const key = deriveKey(shared, ephemeralPublicKey, recipient);
  const header = encodeHeader({ jobId, resultCid, ephemeralPublicKey, noncePrefix: randomBytes(NONCE_PREFIX_BYTES) });
  const prefix = header.subarray(header.length - NONCE_PREFIX_BYTES);
  const count = Math.max(1, Math.ceil(plaintext.length / chunkBytes));
  const parts: Uint8Array[] = [header];
  for (let i = 0; i < count; i++) {
    const chunk = plaintext.subarray(i * chunkBytes, (i + 1) * chunkBytes);
    parts.push(xchacha20poly1305(key, chunkNonce(prefix, i, i === count - 1), header).encrypt(chunk));
  }
  return { envelope: Buffer.concat(parts), resultCid };
}

/** Reads the clear header of a sealed result without decrypting it. */
export function inspectSealedResult(envelope: Uint8Array): SealHeader {
  return decodeHeader(envelope).header;
}

/**
 * Decrypts a sealed result and checks it is the result the quorum agreed on: throws
 * ResultMismatchError naming both CIDs if not, SealedResultTamperedError if any byte was altered.
 */
export async function openResult(params: OpenResultParameters): Promise<Uint8Array> {
  const { envelope, jobId, expectedCid, chunkBytes = SEAL_CHUNK_BYTES } = params;
  const { header, headerBytes, body } = decodeHeader(envelope);
  if (header.jobId !== jobId) throw new InvalidSealedResultError(`it was sealed for job ${header.jobId}, not job ${jobId}`);
  // Cheap early refusal; the CID of the decrypted bytes is checked again below.
  // Compared as strings: CID.equals is a type guard that would narrow the other side to never.
  const expected = expectedCid.toString();
  if (header.resultCid.toString() !== expected) throw new ResultMismatchError(expected, header.resultCid.toString());
  const secret = toKeyBytes(params.secretKey, "secret key");
  const { ownPublicKey: recipient, shared } = await sharedSecret(secret, header.ephemeralPublicKey);
  const key = deriveKey(shared, header.ephemeralPublicKey, recipient);
  const stride = chunkBytes + TAG_BYTES;
  const count = Math.max(1, Math.ceil(body.length / stride));
  if (body.length - (count - 1) * stride < TAG_BYTES) throw new SealedResultTamperedError("the last chunk is shorter than its tag");
  const plaintext = new Uint8Array(body.length - count * TAG_BYTES);
  for (let i = 0; i < count; i++) {
    const chunk = body.subarray(i * stride, Math.min((i + 1) * stride, body.length));
    let opened: Uint8Array;
    try {
      opened = xchacha20poly1305(key, chunkNonce(header.noncePrefix, i, i === count - 1), headerBytes).decrypt(chunk);
    } catch {
      throw new SealedResultTamperedError(`chunk ${i} of ${count} did not authenticate`);
    }
    plaintext.set(opened, i * chunkBytes);
  }
  const actual = (await cidOfBytes(plaintext)).toString();
  if (actual !== expected) throw new ResultMismatchError(expected, actual);
  return plaintext;
}

import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { RESULT_KEY_KDF_SALT } from "./constants.ts";
import { InvalidResultKeyError } from "./errors.ts";

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

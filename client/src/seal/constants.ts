/** First bytes of every sealed result: "ACSR" (Accord sealed result). */
export const SEAL_MAGIC = new Uint8Array([0x41, 0x43, 0x53, 0x52]);
export const SEAL_VERSION = 1;
/** Domain-separation labels: a key derived for one purpose is useless for any other. */
export const SEAL_KDF_INFO = "accord/seal/v1";
export const RESULT_KEY_KDF_SALT = "accord/result-key/v1";
/** Plaintext bytes per AEAD chunk: big enough that the 16-byte tag is noise, small enough to stream. */
export const SEAL_CHUNK_BYTES = 1024 * 1024;
/**
 * Largest plaintext sealResult accepts. The result bundle is bounded by the manifest's
 * output limits; this caps what an opener must be ready to hold.
 */
export const MAX_SEALED_PLAINTEXT_BYTES = 1280 * 1024 * 1024;
/**
 * What the web app asks the wallet to sign to derive the result key. Changing it changes
 * every user's key, so it is part of the protocol.
 */
export const RESULT_KEY_MESSAGE =
  "Accord: derive my result decryption key.\n\nSigning this costs nothing and sends no transaction. Sign it only on an Accord app.";

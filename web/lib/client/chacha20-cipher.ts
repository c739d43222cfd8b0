// What the reference sandbox takes from node:crypto, for browsers (next.config.ts aliases
// node:crypto to this file in browser bundles): the WASI host's random_get is ChaCha20 (RFC
// 8439) keyed by the job's seed, read through OpenSSL's "chacha20" cipher, whose 16-byte IV is
// the 32-bit little-endian block counter followed by the 96-bit nonce. The same keystream from
// @noble/ciphers, so a dry run in the browser draws the bytes a provider's run draws.
import { chacha20 } from "@noble/ciphers/chacha.js";

const BLOCK_BYTES = 64;

export type Cipheriv = { update(data: Uint8Array): Uint8Array };

export function createCipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array): Cipheriv {
  if (algorithm !== "chacha20") throw new Error(`only chacha20 is available in the browser, not ${algorithm}`);
  let counter = new DataView(iv.buffer, iv.byteOffset, iv.byteLength).getUint32(0, true);
  const nonce = iv.slice(4, 16);
  return {
    update(data: Uint8Array): Uint8Array {
      // The host asks in whole 64 KiB chunks; a partial block would need the rest of its keystream kept.
      if (data.length % BLOCK_BYTES) throw new Error(`chacha20 update of ${data.length} bytes: whole ${BLOCK_BYTES}-byte blocks only`);
      const out = chacha20(key, nonce, data, undefined, counter);
      counter += data.length / BLOCK_BYTES;
      return out;
    },
  };
}

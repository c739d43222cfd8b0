import { x25519 } from "@noble/curves/ed25519.js";

/** RFC 8410's PKCS #8 wrapping of a raw X25519 private key: WebCrypto imports a private key in no raw form. */
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

/** One agreement: this side's public key (the HKDF salt needs it) and the shared secret. */
export type Agreement = { ownPublicKey: Uint8Array; shared: Uint8Array };

let supported: Promise<boolean> | undefined;

/** Whether this platform's WebCrypto does X25519 (Node does; browsers from 2024-25 on; none in an insecure page). */
function webCryptoX25519(): Promise<boolean> {
  supported ??= (async () => {
    try {
      const subtle = globalThis.crypto?.subtle;
      if (!subtle) return false;
      await subtle.importKey("raw", new Uint8Array(32).fill(9), { name: "X25519" }, false, []);
      return true;
    } catch {
      return false;
    }
  })();
  return supported;
}

/**
 * x25519: `secret`'s public key and the secret it shares with `publicKey`. Through WebCrypto
 * where the platform has it: noble's ladder in JavaScript took ~3.5 ms for the two scalar
 * multiplications on a loaded 2-core machine, WebCrypto ~0.5 ms, and a provider seals every
 * replica it wins, a requester opens every result (bench:tasks). Elsewhere noble, which gives
 * the same bytes. Throws when the key is refused (a low-order point: an all-zero secret).
 */
export async function agree(secret: Uint8Array, publicKey: Uint8Array): Promise<Agreement> {
  if (!(await webCryptoX25519())) return { ownPublicKey: x25519.getPublicKey(secret), shared: x25519.getSharedSecret(secret, publicKey) };
  const subtle = globalThis.crypto.subtle;
  const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + secret.length);
  pkcs8.set(PKCS8_PREFIX, 0);
  pkcs8.set(secret, PKCS8_PREFIX.length);
  const own = await subtle.importKey("pkcs8", pkcs8, { name: "X25519" }, true, ["deriveBits"]);
  const theirs = await subtle.importKey("raw", publicKey as Uint8Array<ArrayBuffer>, { name: "X25519" }, false, []);
  const [jwk, bits] = await Promise.all([subtle.exportKey("jwk", own), subtle.deriveBits({ name: "X25519", public: theirs }, own, 256)]);
  return { ownPublicKey: base64UrlBytes(jwk.x!), shared: new Uint8Array(bits) };
}

function base64UrlBytes(s: string): Uint8Array {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

import { x25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { agree } from "./x25519.ts";

describe("agree", () => {
  it("gives the public key and shared secret noble's ladder gives, from either side", async () => {
    for (let i = 0; i < 8; i++) {
      const a = x25519.utils.randomSecretKey();
      const b = x25519.utils.randomSecretKey();
      const fromA = await agree(a, x25519.getPublicKey(b));
      const fromB = await agree(b, x25519.getPublicKey(a));
      expect(Buffer.from(fromA.ownPublicKey).equals(Buffer.from(x25519.getPublicKey(a)))).toBe(true);
      expect(Buffer.from(fromA.shared).equals(Buffer.from(x25519.getSharedSecret(a, x25519.getPublicKey(b))))).toBe(true);
      expect(Buffer.from(fromA.shared).equals(Buffer.from(fromB.shared))).toBe(true);
    }
  });

  it("refuses a low-order public key, whose shared secret would be all zeros", async () => {
    await expect(agree(x25519.utils.randomSecretKey(), new Uint8Array(32))).rejects.toThrow();
  });
});

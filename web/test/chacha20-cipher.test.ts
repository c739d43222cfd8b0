// The browser's dry run must draw the random bytes a provider's run draws: the shim that stands
// in for node:crypto's chacha20 in browser bundles against node:crypto itself.
import { createCipheriv as nodeCipher, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCipheriv } from "../lib/client/chacha20-cipher.ts";

describe("chacha20 for the browser's sandbox", () => {
  it("gives node:crypto's keystream, chunk after chunk, from where the counter starts (the host starts at 0; 2^32 blocks is 256 GiB of random bytes, past any fuel budget)", () => {
    for (const counter of [0, 1, 1_000_000]) {
      const key = randomBytes(32);
      const iv = new Uint8Array(16);
      new DataView(iv.buffer).setUint32(0, counter, true);
      iv.set(randomBytes(12), 4);
      const ours = createCipheriv("chacha20", key, iv);
      const theirs = nodeCipher("chacha20", key, iv);
      for (const size of [65_536, 64, 4096]) {
        const zeros = new Uint8Array(size);
        expect(Buffer.from(ours.update(zeros)).equals(theirs.update(zeros)), `counter ${counter}, ${size} bytes`).toBe(true);
      }
    }
  });

  it("refuses what the host never asks for", () => {
    expect(() => createCipheriv("aes-128-ctr", new Uint8Array(16), new Uint8Array(16))).toThrow(/only chacha20/);
    expect(() => createCipheriv("chacha20", new Uint8Array(32), new Uint8Array(16)).update(new Uint8Array(10))).toThrow(/whole 64-byte blocks/);
  });
});

import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { cidOfBytes } from "../content/cid.ts";
import { RESULT_KEY_MESSAGE, SEAL_KDF_INFO } from "./constants.ts";
import { chunkNonce, encodeHeader } from "./envelope.ts";
import { InvalidResultKeyError, InvalidSealedResultError, ResultMismatchError, SealedResultTamperedError } from "./errors.ts";
import { generateResultKey, inspectSealedResult, openResult, resultKeyFromSignature, sealResult } from "./seal.ts";

const jobId = 42n;
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe("sealResult / openResult", () => {
  it("round-trips and binds the job id and result CID in a readable header", async () => {
    const key = generateResultKey();
    const plaintext = bytes(5000);
    const { envelope, resultCid } = await sealResult({ plaintext, recipientPublicKey: key.publicKeyHex, jobId });
    expect(resultCid.equals(await cidOfBytes(plaintext))).toBe(true);
    const header = inspectSealedResult(envelope);
    expect(header.jobId).toBe(jobId);
    expect(header.resultCid.equals(resultCid)).toBe(true);
    expect(Buffer.from(envelope).includes(Buffer.from(plaintext.subarray(0, 64)))).toBe(false);
    expect(await openResult({ envelope, secretKey: key.secretKey, jobId, expectedCid: resultCid })).toEqual(plaintext);
  });

  it("uses a fresh ephemeral key each time", async () => {
    const key = generateResultKey();
    const a = await sealResult({ plaintext: bytes(10), recipientPublicKey: key.publicKey, jobId });
    const b = await sealResult({ plaintext: bytes(10), recipientPublicKey: key.publicKey, jobId });
    expect(inspectSealedResult(a.envelope).ephemeralPublicKey).not.toEqual(inspectSealedResult(b.envelope).ephemeralPublicKey);
  });

  it("handles empty and multi-chunk plaintexts, including an exact multiple of the chunk size", async () => {
    const key = generateResultKey();
    for (const n of [0, 64, 100, 129]) {
      const plaintext = bytes(n);
      const { envelope, resultCid } = await sealResult({ plaintext, recipientPublicKey: key.publicKey, jobId, chunkBytes: 64 });
      expect(await openResult({ envelope, secretKey: key.secretKey, jobId, expectedCid: resultCid, chunkBytes: 64 })).toEqual(plaintext);
    }
  });

  it("rejects a flipped byte anywhere: header, ciphertext or tag", async () => {
    const key = generateResultKey();
    const { envelope, resultCid } = await sealResult({ plaintext: bytes(300), recipientPublicKey: key.publicKey, jobId, chunkBytes: 64 });
    const headerEnd = envelope.length - 300 - 5 * 16;
    // Job id and CID bytes have their own, clearer checks; the rest must fail authentication.
    for (const at of [headerEnd - 20, headerEnd - 1, headerEnd, headerEnd + 100, envelope.length - 1]) {
      const tampered = envelope.slice();
      tampered[at] ^= 0x01;
      await expect(openResult({ envelope: tampered, secretKey: key.secretKey, jobId, expectedCid: resultCid, chunkBytes: 64 })).rejects.toThrow(SealedResultTamperedError);
    }
  });

  it("rejects truncation at a chunk boundary and a dropped chunk", async () => {
    const key = generateResultKey();
    const { envelope, resultCid } = await sealResult({ plaintext: bytes(200), recipientPublicKey: key.publicKey, jobId, chunkBytes: 64 });
    const open = (e: Uint8Array) => openResult({ envelope: e, secretKey: key.secretKey, jobId, expectedCid: resultCid, chunkBytes: 64 });
    await expect(open(envelope.subarray(0, envelope.length - (200 - 192) - 16))).rejects.toThrow(SealedResultTamperedError);
    const headerEnd = envelope.length - 200 - 4 * 16;
    const dropped = Buffer.concat([envelope.subarray(0, headerEnd), envelope.subarray(headerEnd + 80)]);
    await expect(open(dropped)).rejects.toThrow(SealedResultTamperedError);
  });

  it("rejects the wrong key and the wrong job", async () => {
    const key = generateResultKey();
    const { envelope, resultCid } = await sealResult({ plaintext: bytes(50), recipientPublicKey: key.publicKey, jobId });
    await expect(openResult({ envelope, secretKey: generateResultKey().secretKey, jobId, expectedCid: resultCid })).rejects.toThrow(SealedResultTamperedError);
    await expect(openResult({ envelope, secretKey: key.secretKey, jobId: 43n, expectedCid: resultCid })).rejects.toThrow(/sealed for job 42, not job 43/);
  });

  it("names both CIDs when the result is not the one the quorum agreed on", async () => {
    const key = generateResultKey();
    const { envelope, resultCid } = await sealResult({ plaintext: bytes(50), recipientPublicKey: key.publicKey, jobId });
    const agreed = await cidOfBytes(bytes(50, 2));
    const err = await openResult({ envelope, secretKey: key.secretKey, jobId, expectedCid: agreed }).catch((e) => e);
    expect(err).toBeInstanceOf(ResultMismatchError);
    expect(err.message).toContain(agreed.toString());
    expect(err.message).toContain(resultCid.toString());
  });

  it("catches a provider that labels other plaintext with the agreed CID", async () => {
    const key = generateResultKey();
    const agreed = await cidOfBytes(bytes(50, 1));
    const eph = x25519.utils.randomSecretKey();
    const ephPub = x25519.getPublicKey(eph);
    const salt = Buffer.concat([ephPub, key.publicKey]);
    const aeadKey = hkdf(sha256, x25519.getSharedSecret(eph, key.publicKey), salt, new TextEncoder().encode(SEAL_KDF_INFO), 32);
    const prefix = new Uint8Array(16);
    const header = encodeHeader({ jobId, resultCid: agreed, ephemeralPublicKey: ephPub, noncePrefix: prefix });
    const forged = Buffer.concat([header, xchacha20poly1305(aeadKey, chunkNonce(prefix, 0, true), header).encrypt(bytes(50, 9))]);
    const err = await openResult({ envelope: forged, secretKey: key.secretKey, jobId, expectedCid: agreed }).catch((e) => e);
    expect(err).toBeInstanceOf(ResultMismatchError);
    expect(err.actualCid).toBe((await cidOfBytes(bytes(50, 9))).toString());
  });

  it("refuses what is not an envelope, or a future version", async () => {
    const key = generateResultKey();
    const expectedCid = await cidOfBytes(bytes(1));
    await expect(openResult({ envelope: bytes(10), secretKey: key.secretKey, jobId, expectedCid })).rejects.toThrow(InvalidSealedResultError);
    const { envelope } = await sealResult({ plaintext: bytes(1), recipientPublicKey: key.publicKey, jobId });
    envelope[4] = 2;
    await expect(openResult({ envelope, secretKey: key.secretKey, jobId, expectedCid })).rejects.toThrow(/version 2 is not supported/);
  });

  it("refuses malformed keys with a clear error", async () => {
    await expect(sealResult({ plaintext: bytes(1), recipientPublicKey: "0x1234", jobId })).rejects.toThrow(InvalidResultKeyError);
    await expect(sealResult({ plaintext: bytes(1), recipientPublicKey: new Uint8Array(31), jobId })).rejects.toThrow(/expected 32 bytes/);
  });
});

describe("resultKeyFromSignature", () => {
  it("derives the same key from the same wallet and another from another wallet", async () => {
    const alice = privateKeyToAccount(generatePrivateKey());
    const bob = privateKeyToAccount(generatePrivateKey());
    const a1 = resultKeyFromSignature(await alice.signMessage({ message: RESULT_KEY_MESSAGE }));
    const a2 = resultKeyFromSignature(await alice.signMessage({ message: RESULT_KEY_MESSAGE }));
    const b = resultKeyFromSignature(await bob.signMessage({ message: RESULT_KEY_MESSAGE }));
    expect(a1.publicKeyHex).toBe(a2.publicKeyHex);
    expect(a1.publicKeyHex).not.toBe(b.publicKeyHex);
    expect(a1.publicKeyHex).toMatch(/^0x[0-9a-f]{64}$/);
    const { envelope, resultCid } = await sealResult({ plaintext: bytes(20), recipientPublicKey: a1.publicKeyHex, jobId });
    expect(await openResult({ envelope, secretKey: a2.secretKey, jobId, expectedCid: resultCid })).toEqual(bytes(20));
  });

  it("refuses something that is not a signature", () => {
    expect(() => resultKeyFromSignature("0xdeadbeef")).toThrow(InvalidResultKeyError);
  });
});

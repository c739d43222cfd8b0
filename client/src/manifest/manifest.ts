import { sha256 } from "@noble/hashes/sha2.js";
import type { CID } from "multiformats/cid";
import { cidOfBytes } from "../content/cid.ts";
import { canonicalJson } from "./canonical.ts";
import { MAX_MANIFEST_BYTES } from "./constants.ts";
import { formatFieldPath, InvalidManifestError } from "./errors.ts";
import { manifestSchema, type Manifest } from "./schema.ts";

/** Checks every field of `value` and returns it typed, or throws InvalidManifestError. */
export function parseManifest(value: unknown): Manifest {
  const result = manifestSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: formatFieldPath(issue.path),
    rule: issue.code === "unrecognized_keys" ? `has unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}` : issue.message,
  }));
  throw new InvalidManifestError(issues);
}

/** The manifest's canonical bytes: validated, keys sorted, no whitespace (RFC 8785). */
export function encodeManifest(manifest: Manifest): Uint8Array {
  const bytes = new TextEncoder().encode(canonicalJson(parseManifest(manifest)));
  if (bytes.length > MAX_MANIFEST_BYTES)
    throw new InvalidManifestError([{ field: "(manifest)", rule: `encodes to ${bytes.length} bytes, more than the ${MAX_MANIFEST_BYTES} allowed` }]);
  return bytes;
}

/**
 * Parses manifest bytes fetched from the network. Only the canonical encoding is
 * accepted, so one job has exactly one manifest CID (and so one PRNG seed).
 */
export function decodeManifest(bytes: Uint8Array): Manifest {
  if (bytes.length > MAX_MANIFEST_BYTES)
    throw new InvalidManifestError([{ field: "(manifest)", rule: `is ${bytes.length} bytes, more than the ${MAX_MANIFEST_BYTES} allowed` }]);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new InvalidManifestError([{ field: "(manifest)", rule: `is not UTF-8 JSON (${(err as Error).message})` }], { cause: err });
  }
  const manifest = parseManifest(value);
  const canonical = new TextEncoder().encode(canonicalJson(manifest));
  if (!Buffer.from(canonical).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)))
    throw new InvalidManifestError([{ field: "(manifest)", rule: "is not in canonical form (keys sorted, no whitespace, RFC 8785)" }]);
  return manifest;
}

/** The manifest's CID: the CID of its canonical bytes, as the content layer stores them. */
export async function manifestCid(manifest: Manifest): Promise<CID> {
  return cidOfBytes(encodeManifest(manifest));
}

/**
 * The sandbox's PRNG seed: sha-256 of the manifest CID's binary form. A requester computes
 * it before posting; a different `nonce` gives a different CID and so different randomness.
 */
export function manifestSeed(cid: CID): Uint8Array {
  return sha256(cid.bytes);
}

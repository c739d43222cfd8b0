import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { BaseError } from "../errors.ts";

/**
 * docs/DESIGN.md's content profile: CIDv1, UnixFS, sha2-256, raw leaves, 1 MiB chunks, the
 * importer's `unixfs-v1-2025` profile, so any IPFS tool computes the same CID.
 */
export const CID_PROFILE = "unixfs-v1-2025" as const;

/**
 * The importer (~70 modules) is loaded on first use: most importers of this file only parse CIDs
 * (every chain read does), and a CLI command that never hashes content should not pay for it.
 */
const importer = () => import("ipfs-unixfs-importer");

/** A blockstore that keeps nothing: for computing a CID without storing the blocks. */
const discard = { put: async (cid: CID) => cid };

/** The CID that the content layer (and any IPFS tool with the same profile) gives `bytes`. */
export async function cidOfBytes(bytes: Uint8Array): Promise<CID> {
  const { importBytes } = await importer();
  const { cid } = await importBytes(bytes, discard, { profile: CID_PROFILE });
  return cid;
}

/** The same CID, computed from a stream so large content never sits whole in memory. */
export async function cidOfStream(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<CID> {
  const { importByteStream } = await importer();
  const { cid } = await importByteStream(chunks, discard, { profile: CID_PROFILE });
  return cid;
}

export class InvalidCidError extends BaseError {
  override name = "InvalidCidError";
  constructor(value: string, reason: string) {
    super(`"${value}" is not a CID Accord accepts: ${reason}.`, {
      fix: "Pass a CIDv1 (base32, starting with 'baf') made with sha2-256, as `cidOfBytes` and IPFS tools give it.",
    });
  }
}

/** Parses a CID string and checks it is one Accord can anchor on-chain (sha2-256, 32 bytes). */
export function parseCid(value: string): CID {
  let cid: CID;
  try {
    cid = CID.parse(value);
  } catch (err) {
    throw new InvalidCidError(value, (err as Error).message);
  }
  if (cid.version !== 1) throw new InvalidCidError(value, "it is a CIDv0; Accord uses CIDv1");
  if (cid.multihash.code !== sha256.code) throw new InvalidCidError(value, `its hash is 0x${cid.multihash.code.toString(16)}, not sha2-256`);
  return cid;
}

/** The 32-byte sha2-256 digest that the contracts store for a CID. */
export function cidDigest(cid: CID | string): Hex {
  const parsed = typeof cid === "string" ? parseCid(cid) : cid;
  if (parsed.multihash.code !== sha256.code) throw new InvalidCidError(parsed.toString(), "its hash is not sha2-256");
  return bytesToHex(parsed.multihash.digest);
}

/** The binary CID the contract takes (`bytes`), from a CID or its string form. */
export function cidToHex(cid: CID | string): Hex {
  const parsed = typeof cid === "string" ? parseCid(cid) : cid;
  return bytesToHex(parsed.bytes);
}

/** A binary CID from an event back to a CID. */
export function hexToCid(hex: Hex): CID {
  try {
    return CID.decode(hexToBytes(hex));
  } catch (err) {
    throw new InvalidCidError(hex, (err as Error).message);
  }
}

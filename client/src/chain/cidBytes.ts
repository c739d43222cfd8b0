import { CID } from "multiformats/cid";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import { InvalidCidError, parseCid } from "../content/cid.ts";

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

import { encodeAbiParameters, keccak256, bytesToHex, type Address, type Hex } from "viem";
import { randomBytes } from "node:crypto";

/**
 * The commitment a provider submits: keccak256(abi.encode(jobId, provider, resultDigest, salt)).
 * The provider's address inside the hash is what makes a copied commitment useless to the copier.
 */
export function computeCommitment(jobId: bigint, provider: Address, resultDigest: Hex, salt: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
      [jobId, provider, resultDigest, salt],
    ),
  );
}

/** A fresh 32-byte salt: it must be unguessable, or others could test candidate results against the commitment. */
export function randomSalt(): Hex {
  return bytesToHex(randomBytes(32));
}

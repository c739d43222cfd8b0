import { encodeAbiParameters, keccak256, bytesToHex, type Address, type Hex } from "viem";

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
  // Web Crypto rather than node:crypto, so `@accord/client/chain` also loads in the browser.
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

import { parseSignature, type Address, type Hex } from "viem";

/** The EIP-2612 `nonces(owner)` view, for reading a permit's nonce. */
export const permitNoncesAbi = [
  { type: "function", name: "nonces", stateMutability: "view", inputs: [{ name: "owner", type: "address" }], outputs: [{ type: "uint256" }] },
] as const;

export type PermitRequest = {
  /** The token's EIP-712 domain, as `getEip712Domain` reports it. */
  domain: { name: string; version: string; chainId: number | bigint; verifyingContract: Address };
  owner: Address;
  spender: Address;
  value: bigint;
  nonce: bigint;
  /** Unix seconds, on the chain's clock (a test chain may run ahead of the wall clock). */
  deadline: bigint;
};

/**
 * The EIP-2612 typed data for a permit, ready for any signer (a viem wallet client, wagmi's
 * signTypedData, a hardware wallet): the SDK and the web app sign exactly the same message.
 */
export function permitTypedData(p: PermitRequest) {
  return {
    domain: { name: p.domain.name, version: p.domain.version, chainId: Number(p.domain.chainId), verifyingContract: p.domain.verifyingContract },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit" as const,
    message: { owner: p.owner, spender: p.spender, value: p.value, nonce: p.nonce, deadline: p.deadline },
  };
}

/** The `Permit` struct postJobWithPermit takes. */
export type PermitArgument = { value: bigint; deadline: bigint; v: number; r: Hex; s: Hex };

/** The `Permit` argument of postJobWithPermit, from the permit's value, deadline and signature. */
export function permitArgument(value: bigint, deadline: bigint, signature: Hex): PermitArgument {
  const { r, s, v, yParity } = parseSignature(signature);
  return { value, deadline, v: Number(v ?? BigInt(yParity! + 27)), r, s };
}

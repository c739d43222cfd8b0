// The ERC-2612 permit that moves a job's escrow with one signature instead of an approval: its typed
// data and argument, which any signer can use (wagmi's in the web app), and the SDK's signing of it.
import { parseSignature, type Address, type Hex } from "viem";
import { explainChainError, type ChainRequestError } from "../../chain/revert.ts";
import type { AccountRequiredError } from "../errors.ts";
import { signerOf, type MarketChain } from "./marketChain.ts";

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

/** A permit is signed for the one transaction that follows it. */
export const PERMIT_VALIDITY_S = 3600;

export type SignPermitParameters = {
  /** Token units the market may take. */
  value: bigint;
  /** Seconds the permit stays good, on the chain's clock (default PERMIT_VALIDITY_S). */
  validitySeconds?: number;
  signal?: AbortSignal;
};
export type SignPermitReturnType = PermitArgument;
export type SignPermitErrorType = AccountRequiredError | ChainRequestError;

/**
 * Has the wallet sign an ERC-2612 permit for the market to take `value` of the token: one
 * signature, no transaction. postJobWithPermit carries it. The signature commits to the token's
 * current nonce for the owner, so it is good for one post (postJob takes turns for that).
 */
export async function signPermit(chain: MarketChain, parameters: SignPermitParameters): Promise<SignPermitReturnType> {
  const { walletClient, account } = signerOf(chain, "Signing the escrow permit");
  const { publicClient, token, market } = chain;
  try {
    const [domain, nonce, block] = await Promise.all([
      publicClient.getEip712Domain({ address: token }),
      publicClient.readContract({ address: token, abi: permitNoncesAbi, functionName: "nonces", args: [account.address] }),
      publicClient.getBlock({ blockTag: "latest" }),
    ]);
    parameters.signal?.throwIfAborted();
    // Measured from the chain's clock, which a test chain may have moved ahead of the wall clock.
    const deadline = block.timestamp + BigInt(parameters.validitySeconds ?? PERMIT_VALIDITY_S);
    const signature = await walletClient.signTypedData({
      account,
      ...permitTypedData({ domain: { ...domain.domain, verifyingContract: token }, owner: account.address, spender: market, value: parameters.value, nonce, deadline }),
    });
    return permitArgument(parameters.value, deadline, signature);
  } catch (err) {
    throw explainChainError("Signing the escrow permit", err);
  }
}

/** Whether the token takes ERC-2612 permits (it has `nonces(owner)`). */
export async function supportsPermit(chain: MarketChain, owner: Address): Promise<boolean> {
  try {
    await chain.publicClient.readContract({ address: chain.token, abi: permitNoncesAbi, functionName: "nonces", args: [owner] });
    return true;
  } catch {
    return false;
  }
}

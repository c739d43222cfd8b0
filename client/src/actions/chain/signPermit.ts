import type { Address } from "viem";
import { permitArgument, permitNoncesAbi, permitTypedData, type PermitArgument } from "../../chain/permit.ts";
import { explainChainError, type ChainRequestError } from "../../chain/revert.ts";
import type { AccountRequiredError } from "../errors.ts";
import { signerOf, type MarketChain } from "./marketChain.ts";

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

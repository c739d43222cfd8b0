import { erc20Abi, parseEventLogs, type Address, type Hash, type TransactionReceipt } from "viem";
import type { ChainRequestError, ContractRevertedError } from "../../chain/revert.ts";
import { explainChainError } from "../../chain/revert.ts";
import { jobMarketAbi } from "../../generated/abi.ts";
import type { AccountRequiredError, InsufficientBalanceError, InvalidJobParametersError } from "../errors.ts";
import { inEscrowTurn, type Exclusive } from "./escrowTurn.ts";
import { escrowedReplicas, escrowFor, jobParamsOf, readEscrowTerms, requireBalance, type EscrowTerms, type JobParams, type PostableJob } from "./offer.ts";
import { abortable, sendInTurn, signerOf, waitMined, writeMarket, type MarketChain, type Signer, type TransactionProgress } from "./marketChain.ts";
import { signPermit, supportsPermit } from "./permit.ts";

/** How the escrow reaches the market: "auto" uses an existing allowance, else a permit, else approve. */
export type Payment = "auto" | "permit" | "approve";

export type PostJobProgress =
  | { step: "escrow"; escrow: bigint; symbol: string; decimals: number; payment: "allowance" | "permit" | "approve" }
  | { step: "permit"; deadline: bigint }
  | { step: "approve"; transactionHash: Hash }
  | TransactionProgress
  | { step: "posted"; jobId: bigint; transactionHash: Hash; blockNumber: bigint };

export type PostJobParameters = PostableJob & {
  /** Default "auto". */
  payment?: Payment;
  /**
   * Runs the escrow-and-post step (from reading the allowance and nonces to the mined post) inside
   * this, for posts from one key in several processes: the CLI passes a lock file per account, so
   * two processes never sign the same permit nonce. Posts of one process take turns without it.
   */
  exclusive?: Exclusive;
  /** The escrow terms, when the caller started reading them already (submitJob does, beside its uploads). */
  terms?: Promise<EscrowTerms>;
  onProgress?: (p: PostJobProgress) => void;
  signal?: AbortSignal;
};

export type PostJobReturnType = { jobId: bigint; transactionHash: Hash; blockNumber: bigint; escrow: bigint; bidDeadline: bigint };

export type PostJobErrorType = InvalidJobParametersError | InsufficientBalanceError | AccountRequiredError | ChainRequestError | ContractRevertedError;

type Posted = { hash: Hash; receipt: TransactionReceipt };

/**
 * Posts a job whose manifest is already where providers can fetch it: checks its terms against
 * the contract's bounds and the escrow against the balance, moves the escrow with an existing
 * allowance, an ERC-2612 permit or an approval, and posts it. Takes any viem clients (wagmi's too).
 */
export async function postJob(chain: MarketChain, parameters: PostJobParameters): Promise<PostJobReturnType> {
  const { signal, onProgress } = parameters;
  const jobParams = jobParamsOf(parameters);
  const signer = signerOf(chain, "Posting a job");
  const owner = signer.account.address;
  const terms = await abortable(parameters.terms ?? readEscrowTerms(chain, owner), signal);
  const { escrow } = escrowFor(escrowedReplicas(parameters), parameters.maxPrice, terms.protocolFeeBps);
  requireBalance(owner, escrow, terms);

  const payment = parameters.payment ?? "auto";
  const announce = (p: "allowance" | "permit" | "approve") => onProgress?.({ step: "escrow", escrow, symbol: terms.token.symbol, decimals: terms.token.decimals, payment: p });
  const post = (functionName: "postJob" | "postJobWithPermit", args: readonly unknown[]) =>
    writeMarket(chain, { action: functionName === "postJob" ? "Posting the job" : "Posting the job with a permit", functionName, args, onProgress, signal });
  // The allowance read with the terms may be stale by the owner's turn (other posts of this
  // account ran meanwhile): the turn reads it again.
  const posted = await inEscrowTurn<Posted>(turnKey(signer, chain), escrow, parameters.exclusive, async (turn) => {
    if (payment === "auto" && (await readAllowance(chain, owner)) - turn.reserved >= escrow) {
      announce("allowance");
      // Spent from the allowance by a post still to be mined: reserved, so the next post in this
      // process does not count on it; the turn may end once this one is broadcast.
      return { fromAllowance: () => post("postJob", [jobParams]) };
    }
    // A permit or an approval sets the allowance, which the posts still pending from it need:
    // wait for them first. From here the turn lasts until the post is mined.
    await turn.drain();
    if (payment !== "approve" && (await supportsPermit(chain, owner))) {
      announce("permit");
      return postWithPermit(chain, escrow, jobParams, parameters);
    }
    announce("approve");
    await approve(chain, signer, escrow, "Approving the escrow", parameters);
    return post("postJob", [jobParams]);
  });

  const [ev] = parseEventLogs({ abi: jobMarketAbi, eventName: "JobPosted", logs: posted.receipt.logs });
  if (!ev) throw explainChainError("Posting the job", new Error(`transaction ${posted.hash} emitted no JobPosted event`));
  onProgress?.({ step: "posted", jobId: ev.args.jobId, transactionHash: posted.hash, blockNumber: posted.receipt.blockNumber });
  return { jobId: ev.args.jobId, transactionHash: posted.hash, blockNumber: posted.receipt.blockNumber, escrow, bidDeadline: BigInt(ev.args.bidDeadline) };
}

/** One owner's escrow posts take turns: the same owner, token and chain share an allowance and permit nonces. */
export const turnKey = (signer: Signer, chain: MarketChain) => `${signer.chainId}:${chain.token}:${signer.account.address}`.toLowerCase();

/** Times a permit post is signed again when another post took the permit nonce first (PermitFailed at the estimate: nothing was paid). */
const PERMIT_RETRIES = 3;

/**
 * Posts with a permit. A permit signs the token's current nonce for its owner, which only moves
 * when the post is mined: two posts signing at once would sign the same nonce and the second
 * would revert, so posts take turns (inEscrowTurn). A post from another process with the same key
 * can still take the nonce between our read and our estimate: the estimate then reverts
 * PermitFailed before anything is sent, and the permit is signed again on the new nonce.
 */
async function postWithPermit(chain: MarketChain, escrow: bigint, jobParams: JobParams, p: PostJobParameters): Promise<Posted> {
  for (let attempt = 0; ; attempt++) {
    const permit = await signPermit(chain, { value: escrow, signal: p.signal });
    p.onProgress?.({ step: "permit", deadline: permit.deadline });
    try {
      return await writeMarket(chain, { action: "Posting the job with a permit", functionName: "postJobWithPermit", args: [jobParams, permit], onProgress: p.onProgress, signal: p.signal });
    } catch (err) {
      if (attempt >= PERMIT_RETRIES || (err as ContractRevertedError).errorName !== "PermitFailed") throw err;
    }
  }
}

/** Approves the market to take `value` and waits for it to be mined (the fallback for tokens without permits). */
export async function approve(chain: MarketChain, signer: Signer, value: bigint, action: string, p: { onProgress?: (p: PostJobProgress) => void; signal?: AbortSignal }): Promise<void> {
  let hash: Hash;
  try {
    // In the account's turn, so a post sent at the same moment does not take the same nonce.
    hash = await sendInTurn(chain, signer, (nonce) =>
      signer.walletClient.writeContract({ address: chain.token, abi: erc20Abi, functionName: "approve", args: [chain.market, value], account: signer.account, chain: signer.walletClient.chain, nonce }),
    );
  } catch (err) {
    throw explainChainError(action, err);
  }
  await waitMined(chain, action, hash, p.signal);
  p.onProgress?.({ step: "approve", transactionHash: hash });
}

export async function readAllowance(chain: MarketChain, owner: Address): Promise<bigint> {
  try {
    return await chain.publicClient.readContract({ address: chain.token, abi: erc20Abi, functionName: "allowance", args: [owner, chain.market] });
  } catch (err) {
    throw explainChainError("Reading the escrow allowance", err);
  }
}

import { decodeFunctionResult, encodeFunctionData, parseEventLogs, type Address, type Hash, type Hex } from "viem";
import { explainChainError, revertedWith, type ChainRequestError, type ContractRevertedError } from "../../chain/revert.ts";
import { jobMarketAbi } from "../../generated/abi.ts";
import { InvalidJobParametersError, TransactionRevertedError, type AccountRequiredError, type InsufficientBalanceError } from "../errors.ts";
import { inEscrowTurn, type Exclusive } from "./escrowTurn.ts";
import { escrowedReplicas, escrowFor, jobParamsOf, readEscrowTerms, requireBalance, type EscrowTerms, type JobParams, type PostableJob } from "./offer.ts";
import { abortable, POST_GAS_HEADROOM, signerOf, writeMarket, type MarketChain } from "./marketChain.ts";
import { approve, readAllowance, turnKey, type Payment, type PostJobReturnType } from "./postJob.ts";
import { signPermit, supportsPermit } from "./permit.ts";

/** Most jobs posted in one transaction (each post is ~60-200k gas; a block holds 30M). */
export const MAX_JOBS_PER_SUBMIT = 32;

export type PostJobsParameters = {
  jobs: readonly PostableJob[];
  /** As postJob's; a permit covers the whole batch and rides on its first accepted post. */
  payment?: Payment;
  exclusive?: Exclusive;
  terms?: Promise<EscrowTerms>;
  signal?: AbortSignal;
};

/** One job of the batch: posted, or refused by the market (the others are posted regardless). */
export type PostJobsItem = { ok: true; job: PostJobReturnType } | { ok: false; error: ContractRevertedError | TransactionRevertedError };

export type PostJobsReturnType = {
  /** In the order of `jobs`. */
  results: PostJobsItem[];
  /** The one posting transaction (absent when the market would have refused every job). */
  transactionHash?: Hash;
  blockNumber?: bigint;
};

export type PostJobsErrorType = InvalidJobParametersError | InsufficientBalanceError | AccountRequiredError | ChainRequestError | ContractRevertedError | TransactionRevertedError;

/** The batch as simulated: the calls the market accepts, by job index, and why it refuses the others. */
type Checked = { calls: Map<number, Hex>; refused: Map<number, ContractRevertedError> };

/**
 * Posts several jobs in one `tryMulticall` transaction (each post delegatecalled with the
 * requester as sender): a transaction costs its signature, fee and nonce reads, broadcast, receipt
 * polls and ~21,000 gas once instead of once per job, and the terms and balance are read once.
 *
 * The escrow comes from the allowance; when that is short of the batch's total, a permit for the
 * total rides on the first post (postJobWithPermit), or, for a token without permits or with
 * `payment: "approve"`, the total is approved first. The batch is simulated before it is sent: a
 * job the market would refuse is answered with the contract's error and left out, and the others
 * are posted. A job refused in the block itself (the chain moved since the simulation) has no
 * JobPosted event and is answered TransactionRevertedError; its escrow never left the account.
 */
export async function postJobs(chain: MarketChain, parameters: PostJobsParameters): Promise<PostJobsReturnType> {
  const { jobs, signal } = parameters;
  if (jobs.length === 0) return { results: [] };
  if (jobs.length > MAX_JOBS_PER_SUBMIT)
    throw new InvalidJobParametersError("jobs", `${jobs.length} jobs in one batch is more than ${MAX_JOBS_PER_SUBMIT}`, `Split the batch into calls of at most ${MAX_JOBS_PER_SUBMIT} jobs.`);
  const params = jobs.map((job, i) => jobParamsOf(job, `jobs[${i}].`));
  const signer = signerOf(chain, "Posting jobs");
  const owner = signer.account.address;
  const terms = await abortable(parameters.terms ?? readEscrowTerms(chain, owner), signal);
  const escrows = jobs.map((job) => escrowFor(escrowedReplicas(job), job.maxPrice, terms.protocolFeeBps).escrow);
  const total = escrows.reduce((a, b) => a + b, 0n);
  requireBalance(owner, total, terms);

  const postCall = (i: number) => encodeFunctionData({ abi: jobMarketAbi, functionName: "postJob", args: [params[i]!] });
  const all = jobs.map((_, i) => i);
  const payment = parameters.payment ?? "auto";
  const send = (checked: Checked) => sendBatch(chain, owner, params, escrows, checked, signal);
  return inEscrowTurn(turnKey(signer, chain), total, parameters.exclusive, async (turn) => {
    if (payment === "auto" && (await readAllowance(chain, owner)) - turn.reserved >= total) {
      const checked = await simulate(chain, owner, new Map(all.map((i) => [i, postCall(i)])));
      return { fromAllowance: () => send(checked) };
    }
    await turn.drain();
    if (payment !== "approve" && (await supportsPermit(chain, owner))) {
      const permit = await signPermit(chain, { value: total, signal });
      // The permit sets the allowance to the total, so it must ride on a post the market accepts:
      // the first that is refused with it is refused on its own terms, and the next one carries it.
      const refused = new Map<number, ContractRevertedError>();
      for (const carrier of all) {
        const calls = new Map(all.filter((i) => !refused.has(i)).map((i) => [i, i === carrier ? encodeFunctionData({ abi: jobMarketAbi, functionName: "postJobWithPermit", args: [params[i]!, permit] }) : postCall(i)]));
        const checked = await simulate(chain, owner, calls);
        if (checked.calls.has(carrier)) return send({ calls: checked.calls, refused: new Map([...refused, ...checked.refused]) });
        refused.set(carrier, checked.refused.get(carrier)!);
      }
      return send({ calls: new Map(), refused });
    }
    await approve(chain, signer, total, "Approving the escrow of the batch", { signal });
    return send(await simulate(chain, owner, new Map(all.map((i) => [i, postCall(i)]))));
  });
}

/** Runs the batch as a call from the owner: which posts the market accepts now, and why it refuses the others. */
async function simulate(chain: MarketChain, owner: Address, calls: Map<number, Hex>): Promise<Checked> {
  const order = [...calls.keys()];
  let flags: readonly boolean[];
  let returns: readonly Hex[];
  try {
    const { data } = await chain.publicClient.call({ account: owner, to: chain.market, data: encodeFunctionData({ abi: jobMarketAbi, functionName: "tryMulticall", args: [[...calls.values()]] }) });
    [flags, returns] = decodeFunctionResult({ abi: jobMarketAbi, functionName: "tryMulticall", data: data! }) as [readonly boolean[], readonly Hex[]];
  } catch (err) {
    throw explainChainError(`Checking the ${calls.size} posts`, err);
  }
  const checked: Checked = { calls: new Map(), refused: new Map() };
  order.forEach((i, n) => (flags[n] ? checked.calls.set(i, calls.get(i)!) : checked.refused.set(i, revertedWith(`Posting jobs[${i}]`, returns[n]!))));
  return checked;
}

/** Sends the accepted posts in one transaction and pairs each job with its JobPosted event. */
async function sendBatch(chain: MarketChain, owner: Address, params: JobParams[], escrows: bigint[], checked: Checked, signal?: AbortSignal): Promise<PostJobsReturnType> {
  const results: PostJobsItem[] = new Array(params.length);
  for (const [i, error] of checked.refused) results[i] = { ok: false, error };
  const passing = [...checked.calls.keys()];
  if (passing.length === 0) return { results };
  const posted = await writeMarket(chain, {
    action: `Posting ${passing.length} jobs`,
    functionName: "tryMulticall",
    args: [[...checked.calls.values()]],
    gasHeadroom: POST_GAS_HEADROOM * BigInt(passing.length),
    signal,
  });
  // tryMulticall runs the posts in order; a post refused in the block emits nothing, so each
  // event goes to the first passing job still waiting with its manifest.
  const events = parseEventLogs({ abi: jobMarketAbi, eventName: "JobPosted", logs: posted.receipt.logs }).filter((ev) => ev.address.toLowerCase() === chain.market.toLowerCase());
  let next = 0;
  for (const i of passing) {
    const ev = events[next];
    if (ev && ev.args.requester.toLowerCase() === owner.toLowerCase() && ev.args.manifestCid.toLowerCase() === params[i]!.manifestCid.toLowerCase()) {
      next += 1;
      results[i] = {
        ok: true,
        job: { jobId: ev.args.jobId, transactionHash: posted.hash, blockNumber: posted.receipt.blockNumber, escrow: escrows[i]!, bidDeadline: BigInt(ev.args.bidDeadline) },
      };
    } else results[i] = { ok: false, error: new TransactionRevertedError(`Posting jobs[${i}]`, posted.hash) };
  }
  return { results, transactionHash: posted.hash, blockNumber: posted.receipt.blockNumber };
}

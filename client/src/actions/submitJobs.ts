import { decodeFunctionResult, encodeFunctionData, erc20Abi, parseEventLogs, type Address, type Hash, type Hex } from "viem";
import { AccountRequiredError, ResultKeyRequiredError, type AccordClient } from "../client.ts";
import { ContractRevertedError, explainChainError, revertedWith, type ChainRequestError } from "../chain/revert.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import type { InvalidManifestError } from "../manifest/index.ts";
import { InsufficientBalanceError, InvalidJobParametersError, TransactionRevertedError } from "./errors.ts";
import { escrowFor } from "./estimateCost.ts";
import { announceManifests } from "./internal/announce.ts";
import { readEscrowTerms, requireBalance } from "./internal/escrowTerms.ts";
import { prepareJob, type PreparedJob } from "./internal/prepareJob.ts";
import { abortable, POST_GAS_HEADROOM, sendInTurn, waitMined, writeMarket } from "./internal/transact.ts";
import { checkJobParameters, postJobArgument, type SubmitJobParameters, type SubmitJobReturnType } from "./submitJob.ts";

/** Most jobs posted in one transaction (each post is ~60-200k gas; a block holds 30M). */
export const MAX_JOBS_PER_SUBMIT = 32;

export type SubmitJobsParameters = {
  /** The jobs, as submitJob takes them (without payment, announce, onProgress or signal). */
  jobs: ReadonlyArray<Omit<SubmitJobParameters, "payment" | "announce" | "onProgress" | "signal">>;
  /** As submitJob's `announce`, for every manifest of the batch. */
  announce?: "auto" | boolean;
  signal?: AbortSignal;
};

/** One job of the batch: posted, or refused by the market (the others are posted regardless). */
export type SubmitJobsItem = { ok: true; job: SubmitJobReturnType } | { ok: false; error: ContractRevertedError | TransactionRevertedError };

export type SubmitJobsReturnType = {
  /** In the order of `jobs`. */
  results: SubmitJobsItem[];
  /** The one posting transaction (absent when the market would have refused every job). */
  transactionHash?: Hash;
  blockNumber?: bigint;
};

export type SubmitJobsErrorType =
  | InvalidJobParametersError
  | InvalidManifestError
  | InsufficientBalanceError
  | AccountRequiredError
  | ResultKeyRequiredError
  | ChainRequestError
  | ContractRevertedError
  | TransactionRevertedError;

/**
 * Posts several jobs in one transaction, for a requester with a queue of work: the uploads and
 * escrow checks of submitJob for each, then one `tryMulticall` of their postJob calls (each
 * delegatecalled with the requester as sender, so escrow moves from its allowance as usual). A
 * transaction costs its signature, fee and nonce reads, broadcast, receipt polls and ~21,000
 * gas once instead of once per job, and the terms and balance are read once.
 *
 * The escrow comes from the market's allowance; when it is short of the batch's total, the total
 * is approved first (one more transaction). The batch is simulated before it is sent: a job the
 * market would refuse is answered with the contract's error and left out, and the others are
 * posted. A job refused in the block itself (the chain moved since the simulation) has no
 * JobPosted event and is answered TransactionRevertedError; its escrow never left the account.
 */
export async function submitJobs(client: AccordClient, parameters: SubmitJobsParameters): Promise<SubmitJobsReturnType> {
  const { jobs, signal } = parameters;
  if (jobs.length === 0) return { results: [] };
  if (jobs.length > MAX_JOBS_PER_SUBMIT)
    throw new InvalidJobParametersError("jobs", `${jobs.length} jobs in one batch is more than ${MAX_JOBS_PER_SUBMIT}`, `Split the batch into calls of at most ${MAX_JOBS_PER_SUBMIT} jobs.`);
  const quorums = jobs.map((job, i) => checkJobParameters(job as SubmitJobParameters, `jobs[${i}].`));
  if (!client.account || !client.walletClient) throw new AccountRequiredError("Submitting jobs");
  if (!client.resultKey) throw new ResultKeyRequiredError();
  const owner: Address = client.account.address;
  const market = client.deployment.jobMarket;
  const token = client.deployment.token;

  const reads = readEscrowTerms(client, owner);

  const node = await client.getNode({ signal });
  const prepared: PreparedJob[] = [];
  for (const job of jobs) prepared.push(await prepareJob(job, client.resultKey.publicKeyHex, { store: node.content, signal }));
  announceManifests(client, node, prepared.map((p) => p.manifestCid), parameters.announce ?? "auto", signal);

  const [params, tokenInfo, balance, allowance] = await abortable(reads, signal);
  const escrows = jobs.map((job) => escrowFor(job.replicas, job.maxPrice, params.protocolFeeBps).escrow);
  const total = escrows.reduce((a, b) => a + b, 0n);
  requireBalance(owner, total, balance, tokenInfo);
  if (allowance < total) {
    let hash: Hash;
    try {
      // In the account's turn, so a post sent at the same moment does not take the same nonce.
      hash = await sendInTurn(client, (nonce) => client.walletClient!.writeContract({ address: token, abi: erc20Abi, functionName: "approve", args: [market, total], account: client.account!, chain: client.chain, nonce }));
    } catch (err) {
      throw explainChainError("Approving the escrow of the batch", err);
    }
    await waitMined(client, "Approving the escrow of the batch", hash, signal);
  }

  const calls = jobs.map((job, i) => encodeFunctionData({ abi: jobMarketAbi, functionName: "postJob", args: [postJobArgument(job as SubmitJobParameters, prepared[i]!.manifestCid, quorums[i]!)] }));
  let flags: readonly boolean[];
  let returns: readonly Hex[];
  try {
    const { data } = await client.publicClient.call({ account: owner, to: market, data: encodeFunctionData({ abi: jobMarketAbi, functionName: "tryMulticall", args: [calls] }) });
    [flags, returns] = decodeFunctionResult({ abi: jobMarketAbi, functionName: "tryMulticall", data: data! }) as [readonly boolean[], readonly Hex[]];
  } catch (err) {
    throw explainChainError(`Checking the ${jobs.length} posts`, err);
  }
  const results: Array<SubmitJobsItem | undefined> = jobs.map((_, i) =>
    flags[i] ? undefined : { ok: false, error: revertedWith(`Posting jobs[${i}]`, returns[i]!) },
  );
  const passing = jobs.map((_, i) => i).filter((i) => flags[i]);
  if (passing.length === 0) return { results: results as SubmitJobsItem[] };

  const posted = await writeMarket(client, {
    action: `Posting ${passing.length} jobs`,
    functionName: "tryMulticall",
    args: [passing.map((i) => calls[i]!)],
    gasHeadroom: POST_GAS_HEADROOM * BigInt(passing.length),
    signal,
  });
  // tryMulticall runs the posts in order; a post refused in the block emits nothing, so each
  // event goes to the first passing job still waiting with its manifest.
  const events = parseEventLogs({ abi: jobMarketAbi, eventName: "JobPosted", logs: posted.receipt.logs }).filter((ev) => ev.address.toLowerCase() === market.toLowerCase());
  let next = 0;
  for (const i of passing) {
    const manifestHex = postJobArgument(jobs[i] as SubmitJobParameters, prepared[i]!.manifestCid, quorums[i]!).manifestCid.toLowerCase();
    const ev = events[next];
    if (ev && ev.args.requester.toLowerCase() === owner.toLowerCase() && ev.args.manifestCid.toLowerCase() === manifestHex) {
      next += 1;
      results[i] = {
        ok: true,
        job: {
          jobId: ev.args.jobId,
          manifestCid: prepared[i]!.manifestCid,
          manifest: prepared[i]!.manifest,
          transactionHash: posted.hash,
          blockNumber: posted.receipt.blockNumber,
          escrow: escrows[i]!,
          bidDeadline: BigInt(ev.args.bidDeadline),
        },
      };
    } else results[i] = { ok: false, error: new TransactionRevertedError(`Posting jobs[${i}]`, posted.hash) };
  }
  return { results: results as SubmitJobsItem[], transactionHash: posted.hash, blockNumber: posted.receipt.blockNumber };
}

import { ResultKeyRequiredError, type AccordClient } from "../client.ts";
import type { ContractRevertedError } from "../chain/revert.ts";
import { readEscrowTerms } from "./chain/offer.ts";
import { signerOf } from "./chain/marketChain.ts";
import { MAX_JOBS_PER_SUBMIT, postJobs } from "./chain/postJobs.ts";
import { InvalidJobParametersError, type TransactionRevertedError } from "./errors.ts";
import { announceManifests, prepareJob, type PreparedJob } from "./internal/jobContent.ts";
import { offerOfRequest, type JobRequest, type SubmitJobErrorType, type SubmitJobParameters, type SubmitJobReturnType } from "./submitJob.ts";

export type SubmitJobsParameters = {
  /** The jobs, as submitJob takes them (without payment, announce, exclusive, onProgress or signal). */
  jobs: ReadonlyArray<JobRequest>;
  /** As submitJob's `announce`, for every manifest of the batch. */
  announce?: "auto" | boolean;
  /** As postJobs': "auto" (default) uses the allowance, else a permit for the batch, else approve. */
  payment?: SubmitJobParameters["payment"];
  exclusive?: SubmitJobParameters["exclusive"];
  signal?: AbortSignal;
};

/** One job of the batch: posted, or refused by the market (the others are posted regardless). */
export type SubmitJobsItem = { ok: true; job: SubmitJobReturnType } | { ok: false; error: ContractRevertedError | TransactionRevertedError };

export type SubmitJobsReturnType = {
  /** In the order of `jobs`. */
  results: SubmitJobsItem[];
  /** The one posting transaction (absent when the market would have refused every job). */
  transactionHash?: `0x${string}`;
  blockNumber?: bigint;
};

export type SubmitJobsErrorType = SubmitJobErrorType | TransactionRevertedError;

/**
 * Posts several jobs in one transaction, for a requester with a queue of work: the uploads of
 * submitJob for each, then the chain action postJobs (one `tryMulticall` of their posts; a job
 * the market would refuse is answered with its error and the others are posted).
 */
export async function submitJobs(client: AccordClient, parameters: SubmitJobsParameters): Promise<SubmitJobsReturnType> {
  const { jobs, signal } = parameters;
  if (jobs.length === 0) return { results: [] };
  if (jobs.length > MAX_JOBS_PER_SUBMIT)
    throw new InvalidJobParametersError("jobs", `${jobs.length} jobs in one batch is more than ${MAX_JOBS_PER_SUBMIT}`, `Split the batch into calls of at most ${MAX_JOBS_PER_SUBMIT} jobs.`);
  const offers = jobs.map((job, i) => offerOfRequest(job, `jobs[${i}].`).offer);
  const owner = signerOf(client, "Submitting jobs").account.address;
  if (!client.resultKey) throw new ResultKeyRequiredError();

  const terms = readEscrowTerms(client, owner);
  const node = await client.getNode({ signal });
  const prepared: PreparedJob[] = [];
  for (const job of jobs) prepared.push(await prepareJob(job, client.resultKey.publicKeyHex, { store: node.content, signal }));
  announceManifests(client, node, prepared.map((p) => p.manifestCid), parameters.announce ?? "auto", signal);

  const posted = await postJobs(client, {
    jobs: offers.map((offer, i) => ({ ...offer, manifestCid: prepared[i]!.manifestCid })),
    payment: parameters.payment,
    exclusive: parameters.exclusive,
    terms,
    signal,
  });
  const results = posted.results.map((r, i): SubmitJobsItem => (r.ok ? { ok: true, job: { ...r.job, manifestCid: prepared[i]!.manifestCid, manifest: prepared[i]!.manifest } } : r));
  return { ...posted, results };
}

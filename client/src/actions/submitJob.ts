import type { Hash } from "viem";
import type { CID } from "multiformats/cid";
import { ResultKeyRequiredError, type AccordClient } from "../client.ts";
import type { ChainRequestError, ContractRevertedError } from "../chain/revert.ts";
import type { InvalidManifestError, Manifest } from "../manifest/index.ts";
import { chooseReplicas, type ReplicaPlan, type ReplicasChoice } from "../trust/confidence.ts";
import type { ConfidenceUnreachableError, InvalidConfidenceError } from "../trust/errors.ts";
import { checkJobOffer, readEscrowTerms, type JobOffer } from "./chain/offer.ts";
import { signerOf } from "./chain/marketChain.ts";
import { postJob, type Payment, type PostJobProgress } from "./chain/postJob.ts";
import type { AccountRequiredError, InsufficientBalanceError, InvalidJobParametersError } from "./errors.ts";
import type { Exclusive } from "./chain/escrowTurn.ts";
import { announceManifests, prepareJob, type JobSpec, type UploadProgress } from "./internal/jobContent.ts";

export type SubmitJobProgress = ({ step: "upload" } & UploadProgress) | { step: "manifest"; manifestCid: string; bytes: number } | PostJobProgress;

/**
 * One job as submitJobs takes it: its content, its terms, and its replicas and quorum either set
 * outright or derived from a `confidence` (ReplicasChoice).
 */
export type JobRequest = JobSpec & Omit<JobOffer, "replicas" | "quorum"> & ReplicasChoice;

type SubmitJobOptions = {
  /**
   * Announce the manifest in the DHT: "auto" (default) only while some registered provider is
   * not connected to this node (connected ones fetch the job straight from it, see
   * docs/PROTOCOL.md "Provider node"); true always; false never (providers must reach this node).
   */
  announce?: "auto" | boolean;
  /** As postJob's: a lock shared with other processes posting from the same key. */
  exclusive?: Exclusive;
  /** How the escrow reaches the market: "auto" (default) uses an existing allowance, else a permit, else approve. */
  payment?: Payment;
  onProgress?: (p: SubmitJobProgress) => void;
  signal?: AbortSignal;
};

/** A job with its replicas and quorum set outright (for experts). */
export type SubmitJobParameters = JobSpec & JobOffer & { confidence?: undefined; adversaryShare?: undefined } & SubmitJobOptions;

/** A job asked for by the confidence wanted in its result: the cheapest replicas and quorum that give it are used (replicasForConfidence). */
export type SubmitJobByConfidenceParameters = JobSpec & Omit<JobOffer, "replicas" | "quorum"> & Extract<ReplicasChoice, { confidence: number }> & SubmitJobOptions;

export type SubmitJobReturnType = {
  jobId: bigint;
  manifestCid: CID;
  manifest: Manifest;
  transactionHash: Hash;
  blockNumber: bigint;
  escrow: bigint;
  bidDeadline: bigint;
  /** When the job was asked for by `confidence`: the replicas and quorum chosen and their odds. */
  plan?: ReplicaPlan;
};

export type SubmitJobErrorType =
  | InvalidJobParametersError
  | InvalidConfidenceError
  | ConfidenceUnreachableError
  | InvalidManifestError
  | InsufficientBalanceError
  | AccountRequiredError
  | ResultKeyRequiredError
  | ChainRequestError
  | ContractRevertedError;

/**
 * Posts a job: uploads the module and inputs to the client's content node, builds the
 * canonical manifest (carrying the requester's result key), and posts it with the chain action
 * postJob. Its replicas and quorum are given outright, or derived from `confidence` (and
 * `adversaryShare`): giving both is an InvalidJobParametersError. The content node must stay up
 * until the providers have fetched the job (waitForResult keeps it up).
 */
export async function submitJob(client: AccordClient, parameters: SubmitJobParameters | SubmitJobByConfidenceParameters): Promise<SubmitJobReturnType> {
  const { signal, onProgress } = parameters;
  const { offer, plan } = offerOfRequest(parameters);
  const owner = signerOf(client, "Submitting a job").account.address;
  if (!client.resultKey) throw new ResultKeyRequiredError();

  // Chain reads run while the content is added: they do not depend on each other.
  const terms = readEscrowTerms(client, owner);

  const node = await client.getNode({ signal });
  const prepared = await prepareJob(parameters, client.resultKey.publicKeyHex, {
    store: node.content,
    signal,
    onUpload: (u) => onProgress?.({ step: "upload", ...u }),
  });
  onProgress?.({ step: "manifest", manifestCid: prepared.manifestCid.toString(), bytes: prepared.manifestBytes.length });
  // Providers connected to us fetch the job from us directly; the DHT record serves the others.
  announceManifests(client, node, [prepared.manifestCid], parameters.announce ?? "auto", signal);

  const posted = await postJob(client, {
    ...offer,
    manifestCid: prepared.manifestCid,
    payment: parameters.payment,
    exclusive: parameters.exclusive,
    terms,
    onProgress,
    signal,
  });
  return { ...posted, manifestCid: prepared.manifestCid, manifest: prepared.manifest, ...(plan ? { plan } : {}) };
}

/**
 * A request's terms as postJob takes them, its replicas and quorum resolved from a `confidence` if
 * it gave one, all checked against the contract's bounds before any transaction. `at` prefixes
 * fields in errors ("jobs[2].").
 */
export function offerOfRequest(request: JobRequest, at = ""): { offer: JobOffer; plan?: ReplicaPlan } {
  const chosen = chooseReplicas(request, at);
  // A cap the request names wins over the plan's.
  const offer = offerOf({ ...request, replicas: chosen.replicas, quorum: chosen.quorum, maxReplicas: request.maxReplicas ?? chosen.maxReplicas });
  checkJobOffer(offer, at);
  return { offer, plan: chosen.plan };
}

/** The job's terms alone, without its content. */
export function offerOf(p: JobOffer): JobOffer {
  return { replicas: p.replicas, quorum: p.quorum, maxReplicas: p.maxReplicas, maxPrice: p.maxPrice, bidWindow: p.bidWindow, commitWindow: p.commitWindow, revealWindow: p.revealWindow, minReputation: p.minReputation };
}

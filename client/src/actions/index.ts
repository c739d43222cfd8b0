// The chain half (postJob, cancelJob, claim, withdraw, ...) takes an AccordClient as it takes any viem clients.
export * from "./chain/index.ts";
export { dryRun, type DryRunErrorType, type DryRunParameters, type DryRunReturnType, type JobResult } from "./dryRun.ts";
export * from "./errors.ts";
export {
  ASK_PRICE_FUEL_UNIT,
  DEFAULT_PROVIDER_RATES,
  estimateCost,
  priceBreakdown,
  quoteFor,
  type EstimateCostErrorType,
  type EstimateCostParameters,
  type EstimateCostReturnType,
  type PriceBreakdown,
  type ProviderQuote,
  type ProviderRates,
} from "./estimateCost.ts";
export { explainNoBids, MANIFEST_FETCH_TIMEOUT_MS, PROBE_TIMEOUT_MS, type ExplainNoBidsErrorType, type ExplainNoBidsParameters, type ExplainNoBidsReturnType } from "./explainNoBids.ts";
export { getBalance, type GetBalanceErrorType, type GetBalanceParameters, type GetBalanceReturnType } from "./getBalance.ts";
export { getJob, type GetJobErrorType, type GetJobParameters, type GetJobReturnType } from "./getJob.ts";
export { DEFAULT_LIST_JOBS_LIMIT, listJobs, type ListJobsErrorType, type ListJobsParameters, type ListJobsReturnType } from "./listJobs.ts";
export { listProviders, PROVIDER_READ_CONCURRENCY, type ListProvidersErrorType, type ListProvidersParameters, type ListProvidersReturnType, type ProviderListing } from "./listProviders.ts";
export { chooseReplicas, type ChosenReplicas, type ReplicasChoice } from "../trust/confidence.ts";
export {
  submitJob,
  type JobRequest,
  type SubmitJobByConfidenceParameters,
  type SubmitJobErrorType,
  type SubmitJobParameters,
  type SubmitJobProgress,
  type SubmitJobReturnType,
} from "./submitJob.ts";
export { submitJobs, type SubmitJobsErrorType, type SubmitJobsItem, type SubmitJobsParameters, type SubmitJobsReturnType } from "./submitJobs.ts";
export { waitForResult, type WaitForResultErrorType, type WaitForResultParameters, type WaitForResultReturnType } from "./waitForResult.ts";
export {
  DEADLINE_CHECK_INTERVAL_MS,
  DECLINES_ASK_INTERVAL_MS,
  DECLINES_FIRST_ASK_MS,
  watchJob,
  type DeadlinePassedEvent,
  type DeclinesEvent,
  type WatchJobErrorType,
  type WatchJobEvent,
  type WatchJobParameters,
  type WatchJobReturnType,
} from "./watchJob.ts";
export { askDeclines, type AskDeclinesErrorType, type AskDeclinesParameters, type AskDeclinesReturnType, type ProviderDeclines } from "./askDeclines.ts";
export { MAX_SEALED_RESULT_BYTES, RESULT_FETCH_TIMEOUT_MS, type FetchProgress } from "./internal/fetchResult.ts";
export { UnsafeResultPathError, writeResultFiles } from "./internal/writeResult.ts";
export { DEFAULT_PROGRAM_NAME, manifestNeedsAnnouncement, REGISTERED_PEERS_REFRESH_MS, type JobSpec, type UploadProgress } from "./internal/jobContent.ts";
// Actions take a client as their first argument, so the subpath hands out the way to make one.
export {
  ContentNodeRequiredError,
  createAccordClient,
  DEFAULT_POLLING_INTERVAL_MS,
  ResultKeyRequiredError,
  type AccordClient,
  type AccordClientConfig,
} from "../client.ts";

/**
 * `@accord/client`: the protocol library every party uses, and the requester SDK.
 * Actions follow viem: `submitJob(client, parameters)` with a client from createAccordClient.
 */
export { BaseError, type BaseErrorParameters } from "./errors.ts";
export { deploymentPath, deploymentsDir, readDeployment, DeploymentNotFoundError, type Deployment } from "./deployments.ts";
export { jobMarketAbi, testTokenAbi } from "./generated/abi.ts";

export * from "./chain/index.ts";
export {
  CID_PROFILE,
  cidDigest,
  cidOfBytes,
  cidOfStream,
  CONTENT_LIMITS,
  ContentNotFoundError,
  ContentStore,
  ContentTooLargeError,
  CorruptBlockError,
  InvalidCidError,
  InvalidContentPathError,
  NotAFileError,
  parseCid,
  VerifyingBlockstore,
  type AddOptions,
  type ContentLimits,
  type DirectoryEntry,
  type GetOptions,
  type ProviderInfo as ContentProviderInfo,
} from "./content/index.ts";
export * from "./manifest/index.ts";
export * from "./seal/index.ts";
export * from "./sandbox/index.ts";
export * from "./net/index.ts";
export { loadSandboxJob, type FetchBytes, type LoadSandboxJobOptions } from "./job/sandboxJob.ts";

export * from "./actions/index.ts";
export * from "./trust/index.ts";

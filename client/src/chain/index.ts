export * from "./constants.ts";
export { cidToHex, hexToCid } from "../content/cid.ts";
export { computeCommitment, randomSalt } from "./commitment.ts";
export {
  cidText,
  findJobPosted,
  followMarketEvents,
  getMarketEvents,
  jobIdOf,
  revealedCids,
  toJobEvent,
  type FollowMarketEventsParameters,
  type GetMarketEventsParameters,
  type JobEvent,
  type JobEventType,
  type MarketEvent,
  type MarketEventBatch,
  type MarketEventName,
  type PostedJobEvent,
} from "./events.ts";
export { drawIndices, drawSeed, poolEntryWord, type PoolEntry } from "./draw.ts";
export { activeBids, applyJobEvent, newHistory, readJobHistory, type JobBid, type JobHistory, type JobReplica, type JobReveal, type JobTerms } from "./jobHistory.ts";
export {
  readJob,
  readParameters,
  readProvider,
  readReplicas,
  type JobInfo,
  type MarketParameters,
  type ProviderInfo,
  type ReplicaInfo,
} from "./market.ts";
export { ChainRequestError, ContractRevertedError, decodeRevert, explainChainError, revertedWith } from "./revert.ts";
export { dialableAddresses, peerIdString } from "./peerAddresses.ts";
export { applyProviderEvent, dialableProviders, providerRegistry, type ProviderRegistry, type RegisteredProvider } from "./providers.ts";

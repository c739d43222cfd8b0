/**
 * `@accord/provider-node`: the provider daemon as a library. `startProvider(config)` runs
 * everything `accord-provider start` runs, in this process (the devnet and tests use it).
 */
export { startProvider, type Provider, type StartProviderOptions } from "./provider.ts";
export { loadConfig, type ProviderConfig, type LoadConfigParameters, type LoadedConfig, type Pricing } from "./config/config.ts";
export { createKeyFile, readKeyFile } from "./config/keyfile.ts";
export { PROVIDER_LIMITS, DEFAULT_PRICING, type ProviderLimits } from "./constants.ts";
export { FAULTS, type Fault } from "./faults.ts";
export { Journal, type JobRecord, type JobPhase } from "./journal/journal.ts";
export { decideBid, priceFor, type BidDecision, type BidPolicy } from "./market/policy.ts";
export * from "./errors.ts";

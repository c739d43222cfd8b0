// `@accord/client/trust`: what a quorum buys against colluding providers, and the replicas and
// quorum a confidence target needs. Pure arithmetic over the contract's bounds: loads in browsers.
export { DEFAULT_ADVERSARY_SHARE, replicasForConfidence, type ReplicaPlan, type ReplicasForConfidenceParameters } from "./confidence.ts";
export { ConfidenceUnreachableError, InvalidConfidenceError } from "./errors.ts";
export { binomialHeld, oddsOf, outcomeOf, replicaOdds, type Odds, type Outcome } from "./odds.ts";

// `@accord/client/trust`: what a quorum buys against colluding providers, and the replicas and
// quorum a confidence target needs. Pure arithmetic over the contract's bounds: loads in browsers.
export { ConfidenceUnreachableError, InvalidConfidenceError } from "./errors.ts";
export {
  binomialHeld,
  DEFAULT_ADVERSARY_SHARE,
  oddsOf,
  outcomeOf,
  replicaOdds,
  replicasForConfidence,
  type Odds,
  type Outcome,
  type ReplicaPlan,
  type ReplicasForConfidenceParameters,
} from "./confidence.ts";

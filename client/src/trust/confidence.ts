import { MAX_REPLICAS } from "../generated/limits.ts";
import { ConfidenceUnreachableError, InvalidConfidenceError } from "./errors.ts";
import { replicaOdds, type Odds } from "./odds.ts";

/**
 * The share of the pool's stake a requester guards against when it names none: colluding
 * identities holding 10 % of the weight that bids for its job. 0.1^4 = 1e-4 makes it the share
 * issue #13 sizes its target by (a unanimous k = 4 job accepts a wrong result at most once in 10,000).
 */
export const DEFAULT_ADVERSARY_SHARE = 0.1;

/**
 * Slack on the target for floating-point rounding only: 1 - 0.9999 and 0.1^4 differ in their last
 * bits, and a job exactly at its target must count as meeting it.
 */
const ROUNDING_SLACK = 1e-9;

export type ReplicasForConfidenceParameters = {
  /** The chance that an accepted result is the right one, in (0, 1): 0.9999 allows P(wrong result accepted) <= 1e-4. */
  confidence: number;
  /** The colluders' share of the pool's stake-weight, in [0, 1) (default DEFAULT_ADVERSARY_SHARE). */
  adversaryShare?: number;
};

/** The cheapest replicas and quorum for a confidence target, with the odds they achieve. */
export type ReplicaPlan = Odds & {
  replicas: number;
  quorum: number;
  /**
   * The cap the plan lets the job escalate to: twice the replicas (at most MAX_REPLICAS), so a dissent
   * or a missing reveal draws a round of fresh providers and slashes the liars instead of ending the
   * job NoConsensus (docs/PROTOCOL.md, "Escalation"); the escrow covers it, what no round uses is refunded.
   */
  maxReplicas: number;
  confidence: number;
  adversaryShare: number;
};

/**
 * The cheapest job (fewest replicas k, then the smallest quorum m, which fails least often) whose
 * chance of accepting a wrong result is at most `1 - confidence` when colluders hold a share f of
 * the stake that bids for it, under the contract's current rules:
 *
 * - replicas are drawn at random from the pool of bids, weighted by stake (docs/PROTOCOL.md,
 *   "Selection"; only when the market's `poolWindow` is above 0, else the first k bids win), so each
 *   replica is the colluders' with probability f;
 * - a wrong result is accepted only if at least m drawn replicas collude on it:
 *   `P(wrong) = Σ_{a=m..k} C(k, a) f^a (1 - f)^(k - a)`;
 * - in one round, neither side reaching m happens with
 *   `P(no consensus) = Σ_{k-m<a<m} C(k, a) f^a (1 - f)^(k - a)` (f = 0.1 and 0.9999 give k = m = 4:
 *   34 % against colluders who always lie). Without escalation the job then ends NoConsensus with the
 *   escrow credited back; the plan's maxReplicas lets it escalate instead (docs/PROTOCOL.md,
 *   "Escalation"), so `pNoConsensus` is the chance of a second round, which the colluders pay for with
 *   their collateral (`npm run bench:trust` models the rounds).
 *
 * The cheapest job is always unanimous, the smallest k with f^k <= 1 - confidence: a job that takes
 * m of k colluders to fool is fooled at least as often as the unanimous job of m replicas (its first
 * m picks alone could be theirs), at more cost. Majority quorums buy a lower P(no consensus), not a
 * lower P(wrong).
 *
 * The binomial treats picks as independent. The contract draws without replacement: that lowers the
 * colluders' odds while they hold few entries (a unanimous job is never above f^k), but for m < k a
 * pool whose honest stake sits in fewer entries than k raises them, since each honest pick leaves the
 * colluders a larger share of what remains (`npm run bench:trust` shows both on a 16-entry pool).
 * Bounds are the contract's: 1 <= k <= MAX_REPLICAS, k/2 < m <= k. A target no such job meets is a
 * ConfidenceUnreachableError saying how far to lower the confidence or the share; a confidence or
 * share that is no probability, an InvalidConfidenceError.
 */
export function replicasForConfidence(parameters: ReplicasForConfidenceParameters): ReplicaPlan {
  const { confidence } = parameters;
  const share = parameters.adversaryShare ?? DEFAULT_ADVERSARY_SHARE;
  if (typeof confidence !== "number" || !(confidence > 0 && confidence < 1))
    throw new InvalidConfidenceError("confidence", `${confidence} is not between 0 and 1`, "Pass the chance that the accepted result is right, e.g. `confidence` 0.9999 for 99.99 %.");
  if (typeof share !== "number" || !(share >= 0 && share < 1))
    throw new InvalidConfidenceError("adversaryShare", `${share} is not a share from 0 up to 1`, "Pass the colluders' share of the providers' stake, e.g. `adversaryShare` 0.1 for 10 %.");
  const allowed = (1 - confidence) * (1 + ROUNDING_SLACK);
  for (let k = 1; k <= MAX_REPLICAS; k++) {
    // For a given k a larger quorum accepts a wrong result less often and fails more often.
    for (let m = Math.floor(k / 2) + 1; m <= k; m++) {
      const odds = replicaOdds(k, m, share);
      if (odds.pWrong <= allowed) return { replicas: k, quorum: m, maxReplicas: Math.min(MAX_REPLICAS, 2 * k), confidence, adversaryShare: share, ...odds };
    }
  }
  throw new ConfidenceUnreachableError(confidence, share, MAX_REPLICAS);
}

// What a quorum buys against colluding providers, and the replicas and quorum to ask for: the
// settlement rule of a job's first round and its odds (the one copy of this math, which
// scripts/bench/trust.ts extends with escalation rounds), the cheapest k and m for a confidence
// target, and a request's choice between that target and k and m set outright.
import { MAX_REPLICAS } from "../generated/limits.ts";
import { InvalidJobParametersError } from "../errors.ts";
import { ConfidenceUnreachableError, InvalidConfidenceError } from "./errors.ts";

/** How a job ends when `held` of its k replicas collude on one wrong result and the rest agree on the right one. */
export type Outcome = "wrong" | "right" | "noConsensus";

/**
 * The contract's settlement (docs/PROTOCOL.md, "Job state machine"): a digest revealed by at least
 * m replicas is the consensus. With m > k/2 at most one side can reach it; when neither does the job
 * escalates if its maxReplicas allows (docs/PROTOCOL.md, "Escalation"), else ends NoConsensus (or
 * Failed, if the colluders withhold their commits instead).
 */
export function outcomeOf(replicas: number, quorum: number, held: number): Outcome {
  if (held >= quorum) return "wrong";
  if (replicas - held >= quorum) return "right";
  return "noConsensus";
}

/**
 * P(the adversary holds a of the k replicas), a = 0..k, when each replica is its own with
 * probability f independently of the others: the binomial C(k, a) f^a (1 - f)^(k - a).
 */
export function binomialHeld(replicas: number, share: number): number[] {
  const out: number[] = [];
  let c = 1; // C(k, a), built up term by term: exact in doubles for k <= 16
  for (let a = 0; a <= replicas; a++) {
    out.push(c * share ** a * (1 - share) ** (replicas - a));
    c = (c * (replicas - a)) / (a + 1);
  }
  return out;
}

export type Odds = {
  /** P(a wrong result is accepted): at least m replicas are the colluders'. */
  pWrong: number;
  /** P(the job ends without a result): neither side reaches the quorum. */
  pNoConsensus: number;
  /** P(the right result is accepted). */
  pRight: number;
};

/** The odds of each outcome, given P(the adversary holds a replicas) for a = 0..k. */
export function oddsOf(replicas: number, quorum: number, held: readonly number[]): Odds {
  const odds = { pWrong: 0, pNoConsensus: 0, pRight: 0 };
  // Summed term by term, never as 1 - the others: the small tails are the figures that matter.
  held.forEach((p, a) => {
    const o = outcomeOf(replicas, quorum, a);
    if (o === "wrong") odds.pWrong += p;
    else if (o === "noConsensus") odds.pNoConsensus += p;
    else odds.pRight += p;
  });
  return odds;
}

/** The odds of a k-replica, quorum-m job against colluders holding each replica with probability f. */
export function replicaOdds(replicas: number, quorum: number, share: number): Odds {
  return oddsOf(replicas, quorum, binomialHeld(replicas, share));
}

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

/**
 * How many replicas a job runs and how many must agree: set outright (`replicas`, `quorum`: for
 * experts), or derived from the confidence the requester wants (`confidence`, `adversaryShare`:
 * see replicasForConfidence). One or the other, never both.
 */
export type ReplicasChoice =
  | {
      /** k: independent runs, 1..MAX_REPLICAS. */
      replicas: number;
      /** m: identical results needed, k/2 < m <= k (default: the smallest majority). */
      quorum?: number;
      confidence?: undefined;
      adversaryShare?: undefined;
    }
  | {
      /** The chance that an accepted result is right, in (0, 1), e.g. 0.9999: the cheapest k and m that give it are used. */
      confidence: number;
      /** The colluders' share of the providers' stake to guard against (default DEFAULT_ADVERSARY_SHARE, 0.1). */
      adversaryShare?: number;
      replicas?: undefined;
      quorum?: undefined;
    };

/** A ReplicasChoice resolved: the replicas and quorum to post, and the plan they came from if derived. */
export type ChosenReplicas = { replicas: number; quorum?: number; maxReplicas?: number; plan?: ReplicaPlan };

/**
 * Resolves a choice, refusing one that sets both ways (JavaScript callers and front ends can pass
 * anything). `at` prefixes the field in errors ("jobs[2]."). The replicas and quorum given outright
 * are checked later with the rest of the offer (checkJobOffer).
 */
export function chooseReplicas(p: { replicas?: number; quorum?: number; confidence?: number; adversaryShare?: number }, at = ""): ChosenReplicas {
  if (p.confidence === undefined) {
    if (p.adversaryShare !== undefined)
      throw new InvalidJobParametersError(at + "adversaryShare", "it was given without `confidence`", "Pass `confidence` with it to have the replicas and quorum derived, or drop `adversaryShare` when setting `replicas` yourself.");
    if (p.replicas === undefined)
      throw new InvalidJobParametersError(at + "replicas", "neither `replicas` nor `confidence` was given", "Pass `confidence` (e.g. 0.9999) to have the replicas and quorum derived, or `replicas` (and `quorum`).");
    return { replicas: p.replicas, quorum: p.quorum };
  }
  if (p.replicas !== undefined || p.quorum !== undefined)
    throw new InvalidJobParametersError(
      at + "confidence",
      `it was given together with ${p.replicas !== undefined ? "`replicas`" : "`quorum`"}, and each decides the replicas and quorum`,
      "Pass either `confidence` (and `adversaryShare`) to have them derived, or `replicas` and `quorum` to set them yourself, not both.",
    );
  const plan = replicasForConfidence({ confidence: p.confidence, adversaryShare: p.adversaryShare });
  return { replicas: plan.replicas, quorum: plan.quorum, maxReplicas: plan.maxReplicas, plan };
}

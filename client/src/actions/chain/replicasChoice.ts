import { replicasForConfidence, type ReplicaPlan } from "../../trust/confidence.ts";
import { InvalidJobParametersError } from "../errors.ts";

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

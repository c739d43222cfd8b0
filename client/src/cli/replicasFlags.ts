import { replicasForConfidence, type ReplicaPlan } from "../trust/confidence.ts";
import { CliConfigError } from "./errors.ts";
import { positiveInt } from "./jobSpec.ts";

/** `job submit`'s say on replicas: set outright (--replicas, --quorum), or derived (--confidence, --adversary-share). */
export type ReplicasFlags = { replicas?: string; quorum?: string; confidence?: string; adversaryShare?: string };

/** A probability as typed: a fraction (0.9999) or a percentage (99.99%). */
function probability(value: string, flag: string, example: string): number {
  const text = value.trim();
  const percent = text.endsWith("%");
  const digits = percent ? text.slice(0, -1).trim() : text;
  if (!/^\d*\.?\d+$/.test(digits)) throw new CliConfigError(`${flag} "${value}" is not a probability.`, `Pass it as a fraction or a percentage, e.g. ${flag} ${example}.`);
  return percent ? Number(digits) / 100 : Number(digits);
}

/**
 * The replicas and quorum to post, refusing both ways at once before anything is read or sent.
 * With --confidence, the plan they come from (replicasForConfidence; its errors name the flags
 * through cliFix).
 */
export function replicasFromFlags(o: ReplicasFlags): { replicas: number; quorum?: number; plan?: ReplicaPlan } {
  if (o.confidence === undefined) {
    if (o.adversaryShare !== undefined) throw new CliConfigError("--adversary-share was given without --confidence.", "Add --confidence (e.g. --confidence 0.9999) to have the replicas and quorum derived, or drop --adversary-share.");
    return { replicas: positiveInt(o.replicas, "--replicas") ?? 1, quorum: positiveInt(o.quorum, "--quorum") };
  }
  if (o.replicas !== undefined || o.quorum !== undefined)
    throw new CliConfigError(
      `--confidence derives the replicas and quorum, and ${o.replicas !== undefined ? "--replicas" : "--quorum"} sets them: pass one or the other.`,
      "Drop --replicas and --quorum to have them derived from --confidence, or drop --confidence (and --adversary-share) to set them yourself.",
    );
  const plan = replicasForConfidence({
    confidence: probability(o.confidence, "--confidence", "0.9999"),
    adversaryShare: o.adversaryShare === undefined ? undefined : probability(o.adversaryShare, "--adversary-share", "0.1"),
  });
  return { replicas: plan.replicas, quorum: plan.quorum, plan };
}

/** A percentage to `digits` significant digits (12 echoes what the user typed, 99.999 % not 100 %). */
const percent = (p: number, digits = 12) => `${Number((p * 100).toPrecision(digits))} %`;

/**
 * What the plan buys and what a dissent then does, in one line: escalate up to `cap` replicas (the
 * plan's own cap unless the request names one, as submitJob takes it), or end the job at k.
 */
export function planLine(plan: ReplicaPlan, cap = plan.maxReplicas): string {
  const agree = plan.quorum === plan.replicas ? "all must agree" : `${plan.quorum} must agree`;
  return (
    `  ${plan.replicas} replica(s), ${agree}: for confidence ${percent(plan.confidence)} against colluders holding ${percent(plan.adversaryShare)} of the stake, ` +
    `P(wrong result accepted) ${plan.pWrong.toExponential(1)}, P(no consensus) ${percent(plan.pNoConsensus, 3)} ` +
    (cap > plan.replicas
      ? `(a dissent that leaves no quorum escalates to fresh providers, up to ${cap} replicas in all, and slashes the dissenters)`
      : "(a dissent ends the job NoConsensus and the escrow is credited back)")
  );
}

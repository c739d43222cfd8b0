// The settlement rule of a quorum job's first round, and its odds against colluders: the one copy of
// this math, used by replicasForConfidence and by scripts/bench/trust.ts (which adds the escalation
// rounds a job with maxReplicas > k may run after a first round without a quorum).

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

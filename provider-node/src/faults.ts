import { HONEST, type ProviderBehaviour } from "./behaviour.ts";

/**
 * Misbehaviours a provider can be told to show, for tests and demos only, so the quorum can be
 * seen doing its job. Never set one on a node that holds real stake: each of them is slashed.
 */
export const FAULTS = [
  /** Commits and reveals a result that differs from the honest one (slashed: Dissented). */
  "wrong-result",
  /**
   * One of a coalition: commits and reveals the coalition's wrong result, the same bytes on every
   * node with this fault and unlike wrong-result's, so colluders outvote the honest replicas
   * wherever they hold the quorum, and only there (slashed: Dissented, where they do not). It
   * bids as an honest node does; the devnet starts colluders asking no more than 1 unit, so they
   * bid on every job their stake covers (scripts/devnet/devnet.ts).
   */
  "collude",
  /** Commits, then never reveals (slashed: MissedReveal). */
  "never-reveal",
  /** Runs nothing: copies another winner's commitment, which it then cannot reveal (slashed: MissedReveal). */
  "copy-commit",
  /** Wins, then does nothing at all (slashed: MissedCommit). */
  "silent-after-award",
] as const;
export type Fault = (typeof FAULTS)[number];

/** The behaviour a daemon is built with: honest, or the fault's. */
export function behaviourFor(fault: Fault | undefined): ProviderBehaviour {
  if (fault === undefined) return HONEST;
  // The faults that act between the award and the commit need the two-phase path to be
  // observable: no bid carries a commitment.
  const twoPhase = { bidsWithCommitment: () => false };
  switch (fault) {
    case "wrong-result":
      return {
        ...HONEST,
        name: fault,
        resultFor: (_jobId, produced) => ({ ...produced, stdout: concat(produced.stdout, new TextEncoder().encode("\n[wrong-result fault]\n")) }),
      };
    case "collude":
      return { ...HONEST, name: fault, resultFor: (_jobId, produced) => ({ ...produced, stdout: concat(produced.stdout, COALITION_MARK) }) };
    case "never-reveal":
      return { ...HONEST, name: fault, withholdReveal: () => "not revealing (fault)" };
    case "copy-commit":
      return {
        ...HONEST,
        ...twoPhase,
        name: fault,
        afterAward: async (_jobId, otherWinners) => {
          const other = (await otherWinners()).find((w) => w.committed);
          return other ? { do: "commit", commitment: other.commitmentOrDigest, from: other.provider, message: "copying another provider's commitment (fault)" } : { do: "wait" };
        },
        // Its commitment is not its own: there is nothing it could reveal.
        withholdReveal: () => "not revealing (fault)",
      };
    case "silent-after-award":
      return { ...HONEST, ...twoPhase, name: fault, afterAward: async () => ({ do: "nothing", message: "doing nothing after the award (fault)" }) };
  }
}

/** What every colluder adds to the honest output: its bytes depend on nothing a node could differ in. */
const COALITION_MARK = new TextEncoder().encode("\n[collude fault: the coalition's answer]\n");

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

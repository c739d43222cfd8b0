import { UnknownFaultError } from "./errors.ts";

/**
 * Misbehaviours a provider can be told to show, for tests and demos only, so the quorum can be
 * seen doing its job. Never set one on a node that holds real stake: each of them is slashed.
 */
export const FAULTS = [
  /** Commits and reveals a result that differs from the honest one (slashed: Dissented). */
  "wrong-result",
  /** Commits, then never reveals (slashed: MissedReveal). */
  "never-reveal",
  /** Runs nothing: copies another winner's commitment, which it then cannot reveal (slashed: MissedReveal). */
  "copy-commit",
  /** Wins, then does nothing at all (slashed: MissedCommit). */
  "silent-after-award",
] as const;
export type Fault = (typeof FAULTS)[number];

export function parseFault(value: string): Fault {
  if (!(FAULTS as readonly string[]).includes(value)) throw new UnknownFaultError(value, FAULTS);
  return value as Fault;
}

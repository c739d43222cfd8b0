/**
 * How the node acts at the few points where a provider could cheat. A daemon is built with one
 * (honest unless a fault mode for tests and demos supplies another, see faults.ts); the job
 * steps ask it at each decision point and never test which one it is, so the production paths
 * carry no fault names and the faults' switch lives in one file.
 */
import type { Address, Hex } from "viem";
import type { ResultBundle } from "@accord/client/sandbox";

/** One winner of a job as the chain holds it. */
export type WinnerView = { provider: Address; committed: boolean; commitmentOrDigest: Hex };

/** What the node does with a replica it won. */
export type AwardPlan =
  /** Run the job and commit to its result. */
  | { do: "run" }
  /** Nothing, until the commit deadline; `message` is logged at warn. */
  | { do: "nothing"; message: string }
  /** Ask again a poll interval later (until the commit deadline). */
  | { do: "wait" }
  /** Commit to `commitment` without running (its salt is made up, so it can never be revealed). */
  | { do: "commit"; commitment: Hex; from: Address; message: string };

export interface ProviderBehaviour {
  /** "honest", or the fault's name: logged with every deviation. */
  readonly name: string;
  /** The result bundle the node commits to, given the one the sandbox produced. */
  resultFor(jobId: bigint, produced: ResultBundle): ResultBundle;
  /** Whether a light job may run before its bid, the bid carrying the commitment (bidAndCommit). */
  bidsWithCommitment(jobId: bigint): boolean;
  /** What to do with a replica won; `otherWinners` reads the job's other winners from the chain. */
  afterAward(jobId: bigint, otherWinners: () => Promise<readonly WinnerView[]>): Promise<AwardPlan>;
  /** Why the node keeps a committed result to itself (logged at warn), or undefined to reveal it. */
  withholdReveal(jobId: bigint): string | undefined;
}

/** What every node does unless told otherwise. */
export const HONEST: ProviderBehaviour = {
  name: "honest",
  resultFor: (_jobId, produced) => produced,
  bidsWithCommitment: () => true,
  afterAward: async () => ({ do: "run" }),
  withholdReveal: () => undefined,
};

import type { Address, Hash, Hex } from "viem";
import { hexToCid } from "../content/cid.ts";
import { JOB_STATES, REPLICA_OUTCOMES, type JobStateName, type ReplicaOutcomeName } from "./constants.ts";
import type { MarketEvent } from "./events.ts";

type Where = { jobId: bigint; blockNumber: bigint; transactionHash: Hash; logIndex: number };

/** One step of a job's life, decoded from its JobMarket event. */
export type JobEvent = Where &
  (
    | {
        type: "posted";
        requester: Address;
        manifestCid: string;
        replicas: number;
        quorum: number;
        maxPrice: bigint;
        escrow: bigint;
        /** Unix seconds. */
        bidDeadline: bigint;
        commitWindow: number;
        revealWindow: number;
        minReputation: number;
        awardOnFill: boolean;
      }
    | { type: "bid"; provider: Address; price: bigint; collateral: bigint }
    | { type: "bidDisplaced"; provider: Address; price: bigint; collateral: bigint }
    /** The replicas were drawn at random by stake from a pool of `pool` bids (the others are displaced next). */
    | { type: "drawn"; seed: Hex; pool: number }
    | { type: "awarded"; winners: number; commitDeadline: bigint }
    | { type: "committed"; provider: Address; commitment: Hex }
    | { type: "revealOpened"; revealDeadline: bigint }
    | { type: "revealed"; provider: Address; resultCid: string; sealedResultCid: string }
    | { type: "replicaSettled"; provider: Address; outcome: ReplicaOutcomeName; paid: bigint; slashed: bigint }
    | { type: "settled"; state: JobStateName; resultDigest: Hex; paid: bigint; fee: bigint; refunded: bigint; slashed: bigint }
    /**
     * No digest had the quorum and the requester allowed more replicas: round `round` (1 for the first
     * escalation) takes bids for `extra` more from providers not yet in the job until `poolCloses`
     * (unix seconds), then awards and draws them as the first round (docs/PROTOCOL.md, "Escalation").
     */
    | { type: "escalated"; round: number; extra: number; poolCloses: bigint }
    /** Of an escalated job's slashed collateral, `amount` repaid the requester for the extra rounds (after `settled`). */
    | { type: "restituted"; requester: Address; amount: bigint }
  );

export type JobEventType = JobEvent["type"];

/**
 * A CID as the market's events carry it (binary CIDv1), as text. Bytes that are no CID stay
 * hex: a provider may reveal garbage as its sealed CID, and whoever reads the job should see it.
 */
export function cidText(hex: Hex): string {
  try {
    return hexToCid(hex).toString();
  } catch {
    return hex;
  }
}

/** The job event a JobMarket log stands for; undefined for provider and owner events. */
export function toJobEvent(ev: MarketEvent): JobEvent | undefined {
  const where = (jobId: bigint): Where => ({ jobId, blockNumber: ev.blockNumber, transactionHash: ev.transactionHash, logIndex: ev.logIndex });
  switch (ev.eventName) {
    case "JobPosted": {
      const { jobId, manifestCid, ...terms } = ev.args;
      return { ...where(jobId), type: "posted", ...terms, manifestCid: cidText(manifestCid) };
    }
    case "BidPlaced": {
      const { jobId, ...bid } = ev.args;
      return { ...where(jobId), type: "bid", ...bid };
    }
    case "BidDisplaced": {
      const { jobId, ...bid } = ev.args;
      return { ...where(jobId), type: "bidDisplaced", ...bid };
    }
    case "ReplicasDrawn":
      return { ...where(ev.args.jobId), type: "drawn", seed: ev.args.seed, pool: ev.args.pool };
    case "JobAwarded":
      return { ...where(ev.args.jobId), type: "awarded", winners: ev.args.winners, commitDeadline: ev.args.commitDeadline };
    case "Committed":
      return { ...where(ev.args.jobId), type: "committed", provider: ev.args.provider, commitment: ev.args.commitment };
    case "RevealOpened":
      return { ...where(ev.args.jobId), type: "revealOpened", revealDeadline: ev.args.revealDeadline };
    case "Revealed": {
      const { jobId, provider, resultCid, sealedResultCid } = ev.args;
      return { ...where(jobId), type: "revealed", provider, resultCid: cidText(resultCid), sealedResultCid: cidText(sealedResultCid) };
    }
    case "ReplicaSettled": {
      const { jobId, outcome, ...amounts } = ev.args;
      return { ...where(jobId), type: "replicaSettled", ...amounts, outcome: REPLICA_OUTCOMES[outcome] ?? "Unresolved" };
    }
    case "JobSettled": {
      const { jobId, state, ...amounts } = ev.args;
      return { ...where(jobId), type: "settled", ...amounts, state: JOB_STATES[state] ?? "None" };
    }
    case "JobEscalated": {
      const { jobId, ...round } = ev.args;
      return { ...where(jobId), type: "escalated", ...round };
    }
    case "Restituted": {
      const { jobId, ...restitution } = ev.args;
      return { ...where(jobId), type: "restituted", ...restitution };
    }
    default:
      return undefined;
  }
}

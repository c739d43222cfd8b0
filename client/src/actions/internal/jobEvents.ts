import type { Address, Hash, Hex } from "viem";
import { JOB_STATES, REPLICA_OUTCOMES, type JobStateName, type ReplicaOutcomeName } from "../../chain/constants.ts";
import { hexToCid } from "../../chain/cidBytes.ts";
import type { MarketEvent } from "../../chain/events.ts";

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
    | { type: "awarded"; winners: number; commitDeadline: bigint }
    | { type: "committed"; provider: Address; commitment: Hex }
    | { type: "revealOpened"; revealDeadline: bigint }
    | { type: "revealed"; provider: Address; resultCid: string; sealedResultCid: string }
    | { type: "replicaSettled"; provider: Address; outcome: ReplicaOutcomeName; paid: bigint; slashed: bigint }
    | { type: "settled"; state: JobStateName; resultDigest: Hex; paid: bigint; fee: bigint; refunded: bigint; slashed: bigint }
  );

export type JobEventType = JobEvent["type"];

const cidText = (hex: Hex): string => {
  try {
    return hexToCid(hex).toString();
  } catch {
    // A provider may reveal garbage as its sealed CID; keep the raw bytes so the user sees it.
    return hex;
  }
};

/** The job event a JobMarket log stands for; undefined for provider and owner events. */
export function toJobEvent(ev: MarketEvent): JobEvent | undefined {
  const a = ev.args as any;
  const where: Where = { jobId: a.jobId, blockNumber: ev.blockNumber!, transactionHash: ev.transactionHash!, logIndex: ev.logIndex! };
  switch (ev.eventName) {
    case "JobPosted":
      return {
        ...where,
        type: "posted",
        requester: a.requester,
        manifestCid: cidText(a.manifestCid),
        replicas: Number(a.replicas),
        quorum: Number(a.quorum),
        maxPrice: a.maxPrice,
        escrow: a.escrow,
        bidDeadline: BigInt(a.bidDeadline),
        commitWindow: Number(a.commitWindow),
        revealWindow: Number(a.revealWindow),
        minReputation: Number(a.minReputation),
        awardOnFill: a.awardOnFill,
      };
    case "BidPlaced":
      return { ...where, type: "bid", provider: a.provider, price: a.price, collateral: a.collateral };
    case "BidDisplaced":
      return { ...where, type: "bidDisplaced", provider: a.provider, price: a.price, collateral: a.collateral };
    case "JobAwarded":
      return { ...where, type: "awarded", winners: Number(a.winners), commitDeadline: BigInt(a.commitDeadline) };
    case "Committed":
      return { ...where, type: "committed", provider: a.provider, commitment: a.commitment };
    case "RevealOpened":
      return { ...where, type: "revealOpened", revealDeadline: BigInt(a.revealDeadline) };
    case "Revealed":
      return { ...where, type: "revealed", provider: a.provider, resultCid: cidText(a.resultCid), sealedResultCid: cidText(a.sealedResultCid) };
    case "ReplicaSettled":
      return { ...where, type: "replicaSettled", provider: a.provider, outcome: REPLICA_OUTCOMES[Number(a.outcome)] ?? "Unresolved", paid: a.paid, slashed: a.slashed };
    case "JobSettled":
      return { ...where, type: "settled", state: JOB_STATES[Number(a.state)] ?? "None", resultDigest: a.resultDigest, paid: a.paid, fee: a.fee, refunded: a.refunded, slashed: a.slashed };
    default:
      return undefined;
  }
}

export type JobBid = { provider: Address; price: bigint; collateral: bigint; displaced: boolean };
export type JobReveal = { provider: Address; resultCid: string; sealedResultCid: string; blockNumber: bigint };

/** A job as its events tell it: complete even after its storage record was reused. */
export type JobHistory = {
  jobId: bigint;
  requester: Address;
  manifestCid: string;
  replicas: number;
  quorum: number;
  maxPrice: bigint;
  escrow: bigint;
  minReputation: number;
  awardOnFill: boolean;
  commitWindow: number;
  revealWindow: number;
  postedBlock: bigint;
  postTransaction: Hash;
  /** What the events say the state is. */
  state: JobStateName;
  /** Deadline of the current phase, unix seconds (undefined once terminal). */
  deadline: bigint | undefined;
  bids: JobBid[];
  winners: number;
  committed: Address[];
  reveals: JobReveal[];
  outcomes: { provider: Address; outcome: ReplicaOutcomeName; paid: bigint; slashed: bigint }[];
  settlement?: { state: JobStateName; resultDigest: Hex; paid: bigint; fee: bigint; refunded: bigint; slashed: bigint; blockNumber: bigint; transactionHash: Hash };
};

/** Starts a history from the job's JobPosted event. */
export function newHistory(posted: Extract<JobEvent, { type: "posted" }>): JobHistory {
  return {
    jobId: posted.jobId,
    requester: posted.requester,
    manifestCid: posted.manifestCid,
    replicas: posted.replicas,
    quorum: posted.quorum,
    maxPrice: posted.maxPrice,
    escrow: posted.escrow,
    minReputation: posted.minReputation,
    awardOnFill: posted.awardOnFill,
    commitWindow: posted.commitWindow,
    revealWindow: posted.revealWindow,
    postedBlock: posted.blockNumber,
    postTransaction: posted.transactionHash,
    state: "Open",
    deadline: posted.bidDeadline,
    bids: [],
    winners: 0,
    committed: [],
    reveals: [],
    outcomes: [],
  };
}

/** Folds one event into the history (events must come in chain order). */
export function applyJobEvent(h: JobHistory, ev: JobEvent): JobHistory {
  switch (ev.type) {
    case "bid":
      h.bids.push({ provider: ev.provider, price: ev.price, collateral: ev.collateral, displaced: false });
      break;
    case "bidDisplaced": {
      const b = h.bids.find((x) => x.provider === ev.provider && !x.displaced);
      if (b) b.displaced = true;
      break;
    }
    case "awarded":
      h.state = "Committing";
      h.winners = ev.winners;
      h.deadline = ev.commitDeadline;
      break;
    case "committed":
      h.committed.push(ev.provider);
      break;
    case "revealOpened":
      h.state = "Revealing";
      h.deadline = ev.revealDeadline;
      break;
    case "revealed":
      h.reveals.push({ provider: ev.provider, resultCid: ev.resultCid, sealedResultCid: ev.sealedResultCid, blockNumber: ev.blockNumber });
      break;
    case "replicaSettled":
      h.outcomes.push({ provider: ev.provider, outcome: ev.outcome, paid: ev.paid, slashed: ev.slashed });
      break;
    case "settled":
      h.state = ev.state;
      h.deadline = undefined;
      h.settlement = { state: ev.state, resultDigest: ev.resultDigest, paid: ev.paid, fee: ev.fee, refunded: ev.refunded, slashed: ev.slashed, blockNumber: ev.blockNumber, transactionHash: ev.transactionHash };
      break;
  }
  return h;
}

/** Live bids (not displaced). */
export const activeBids = (h: JobHistory) => h.bids.filter((b) => !b.displaced);

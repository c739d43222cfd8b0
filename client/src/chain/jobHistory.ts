import type { Address, Hash, Hex, PublicClient } from "viem";
import type { JobStateName, ReplicaOutcomeName } from "./constants.ts";
import { findJobPosted, getMarketEvents, toJobEvent, type JobEvent, type PostedJobEvent } from "./events.ts";

/** `displaced`: left the pool; `notDrawn` says it left at the draw rather than to a heavier bid in a full pool. */
export type JobBid = { provider: Address; price: bigint; collateral: bigint; displaced: boolean; notDrawn?: boolean; blockNumber: bigint };
export type JobReveal = { provider: Address; resultCid: string; sealedResultCid: string; blockNumber: bigint };
/** An awarded bid and what became of it. */
export type JobReplica = {
  provider: Address;
  price: bigint;
  collateral: bigint;
  committed: boolean;
  revealed: boolean;
  resultCid?: string;
  sealedResultCid?: string;
  outcome?: ReplicaOutcomeName;
  paid?: bigint;
  slashed?: bigint;
};

/** A job's terms, as its JobPosted event gave them. */
export type JobTerms = Omit<PostedJobEvent, "type" | "blockNumber" | "transactionHash" | "logIndex">;

/** A job as its events tell it: complete even after its storage record was reused. */
export type JobHistory = JobTerms & {
  postedBlock: bigint;
  postTransaction: Hash;
  /** What the events say the state is (a job past a deadline stays in its phase until someone claims it). */
  state: JobStateName;
  /** Deadline of the current phase, unix seconds (undefined once terminal). */
  deadline: bigint | undefined;
  /** Later phases' deadlines as they became known, unix seconds. */
  commitDeadline?: bigint;
  revealDeadline?: bigint;
  bids: JobBid[];
  /** The random draw of the replicas from a pool larger than k (absent when the pool was awarded whole). */
  draw?: { seed: Hex; pool: number; blockNumber: bigint; transactionHash: Hash };
  winners: number;
  /** The bids still in the book at the award, in book order. */
  awarded: JobReplica[];
  committed: Address[];
  reveals: JobReveal[];
  outcomes: { provider: Address; outcome: ReplicaOutcomeName; paid: bigint; slashed: bigint }[];
  /**
   * Each escalation, in order: the round's number, the replicas it sought and when its pool closed.
   * `awarded` keeps every round's replicas in book order; `winners` counts them all.
   */
  rounds: { round: number; extra: number; poolCloses: bigint; blockNumber: bigint; transactionHash: Hash }[];
  /** What the requester got back out of slashed collateral for the extra rounds (0 without escalation). */
  restitution: bigint;
  settlement?: { state: JobStateName; resultDigest: Hex; paid: bigint; fee: bigint; refunded: bigint; slashed: bigint; blockNumber: bigint; transactionHash: Hash };
};

/** Starts a history from the job's JobPosted event. */
export function newHistory(posted: PostedJobEvent): JobHistory {
  const { type: _, blockNumber, transactionHash, logIndex: __, ...terms } = posted;
  return { ...terms, postedBlock: blockNumber, postTransaction: transactionHash, state: "Open", deadline: terms.bidDeadline, bids: [], winners: 0, awarded: [], committed: [], reveals: [], outcomes: [], rounds: [], restitution: 0n };
}

/**
 * Folds one event into the history (events must come in chain order). The one reading of
 * what a job's events mean, shared by the SDK, the web index and the provider's tests.
 */
export function applyJobEvent(h: JobHistory, ev: JobEvent): JobHistory {
  const replica = (provider: Address) => h.awarded.find((r) => r.provider === provider);
  switch (ev.type) {
    case "bid":
      h.bids.push({ provider: ev.provider, price: ev.price, collateral: ev.collateral, displaced: false, blockNumber: ev.blockNumber });
      break;
    case "bidDisplaced": {
      const b = h.bids.find((x) => x.provider === ev.provider && !x.displaced);
      if (b) {
        b.displaced = true;
        // The draw displaces the entries it did not pick in its own transaction, after ReplicasDrawn.
        if (h.draw?.transactionHash === ev.transactionHash) b.notDrawn = true;
      }
      break;
    }
    case "drawn":
      h.draw = { seed: ev.seed, pool: ev.pool, blockNumber: ev.blockNumber, transactionHash: ev.transactionHash };
      break;
    case "awarded": {
      // No bid enters or leaves the book after the award (the draw displaced the others just before),
      // so the live bids are the winners; after an escalation, the earlier rounds' replicas and the
      // new round's winners, which join the book after them.
      h.state = "Committing";
      h.winners += ev.winners;
      h.deadline = h.commitDeadline = ev.commitDeadline;
      const earlier = new Set(h.awarded.map((r) => r.provider));
      for (const b of activeBids(h)) {
        if (!earlier.has(b.provider)) h.awarded.push({ provider: b.provider, price: b.price, collateral: b.collateral, committed: false, revealed: false });
      }
      break;
    }
    case "escalated":
      h.state = "Open";
      h.deadline = ev.poolCloses;
      h.rounds.push({ round: ev.round, extra: ev.extra, poolCloses: ev.poolCloses, blockNumber: ev.blockNumber, transactionHash: ev.transactionHash });
      break;
    case "restituted":
      h.restitution += ev.amount;
      break;
    case "committed": {
      // Always after the replica's JobAwarded: a commit, or (bidAndCommit) a commitment carried by
      // the bid, emitted at the award for each winner; a displaced bid's commitment never shows here.
      h.committed.push(ev.provider);
      const r = replica(ev.provider);
      if (r) r.committed = true;
      break;
    }
    case "revealOpened":
      h.state = "Revealing";
      h.deadline = h.revealDeadline = ev.revealDeadline;
      break;
    case "revealed": {
      h.reveals.push({ provider: ev.provider, resultCid: ev.resultCid, sealedResultCid: ev.sealedResultCid, blockNumber: ev.blockNumber });
      const r = replica(ev.provider);
      if (r) Object.assign(r, { revealed: true, resultCid: ev.resultCid, sealedResultCid: ev.sealedResultCid });
      break;
    }
    case "replicaSettled": {
      h.outcomes.push({ provider: ev.provider, outcome: ev.outcome, paid: ev.paid, slashed: ev.slashed });
      const r = replica(ev.provider);
      if (r) Object.assign(r, { outcome: ev.outcome, paid: ev.paid, slashed: ev.slashed });
      break;
    }
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

/**
 * A job's whole history up to the head (or `toBlock`), read from its events; undefined if the
 * market never posted it.
 */
export async function readJobHistory(
  client: PublicClient,
  p: { address: Address; jobId: bigint; fromBlock: bigint; toBlock?: bigint; signal?: AbortSignal },
): Promise<{ history: JobHistory; toBlock: bigint } | undefined> {
  const toBlock = p.toBlock ?? (await client.getBlockNumber({ cacheTime: 0 }));
  const posted = await findJobPosted(client, { ...p, toBlock });
  if (!posted) return undefined;
  const history = newHistory(posted);
  for (const raw of await getMarketEvents(client, { address: p.address, fromBlock: posted.blockNumber, toBlock, jobId: p.jobId, signal: p.signal })) {
    const ev = toJobEvent(raw);
    if (ev && ev.type !== "posted") applyJobEvent(history, ev);
  }
  return { history, toBlock };
}

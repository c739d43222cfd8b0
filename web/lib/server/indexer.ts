import { followMarketEvents, type MarketEvent } from "@accord/client/chain/events.ts";
import { JOB_STATES, REPLICA_OUTCOMES } from "@accord/client/chain/constants.ts";
import { hexToCid } from "@accord/client/chain/cidBytes.ts";
import { CID } from "multiformats/cid";
import { bytesToHex, type Address, type PublicClient } from "viem";
import type { BidRow, Hex, JobStateName, OutcomeName, ReplicaRow, Settlement, TimelineEntry } from "../types.ts";

/**
 * An in-memory index of the JobMarket, built from its events alone. Job ids are opaque and a
 * terminal job's storage record is reused by later jobs, so the contract's views cannot tell
 * history; the events can, and they are the same for everyone who reads the chain.
 */
export type JobRecord = {
  id: bigint;
  requester: Address;
  manifestCid: string;
  replicas: number;
  quorum: number;
  maxPrice: bigint;
  escrow: bigint;
  bidDeadline: number;
  commitWindow: number;
  revealWindow: number;
  minReputation: number;
  awardOnFill: boolean;
  postedAt: number;
  postedBlock: number;
  bids: Map<Address, BidRow & { priceN: bigint }>;
  winners?: number;
  commitDeadline?: number;
  revealDeadline?: number;
  replicas_: Map<Address, ReplicaRow>;
  settlement?: Settlement;
  timeline: TimelineEntry[];
  fuel?: number;
  /** The server tried to read the manifest (for the fuel limit), whether or not it could. */
  fuelTried?: boolean;
};

export type ProviderRecord = {
  address: Address;
  peerId: Hex;
  multiaddrs: string[];
  askPrice: bigint;
  registeredAt: number;
  bids: number;
  earned: bigint;
  slashed: bigint;
  /** Jobs in which this provider held a replica, in order. */
  jobs: bigint[];
  /** Counters replayed from ReplicaSettled, for the reputation history. */
  awarded: number;
  agreed: number;
  reputation: { time: number; score: number; outcome: OutcomeName; jobId: string }[];
};

type Listener = (head: number) => void;

const nameOf = (state: number | bigint): JobStateName => JOB_STATES[Number(state)] as JobStateName;
const cidText = (hex: Hex): string => {
  try {
    return hexToCid(hex).toString();
  } catch {
    return hex;
  }
};

export class MarketIndex {
  readonly jobs = new Map<bigint, JobRecord>();
  readonly providers = new Map<Address, ProviderRecord>();
  /** Credits to requesters from refunds and slashed collateral, per address. */
  readonly requesterCredits = new Map<Address, { refunded: bigint; slashed: bigint; spent: bigint }>();
  head = -1;
  chainTime = 0;
  private listeners = new Set<Listener>();
  private blockTimes = new Map<bigint, number>();

  constructor(private readonly client: PublicClient) {}

  /** Resolves once the index has read `block` (true), or after `timeoutMs` (false). */
  caughtUpTo(block: bigint, timeoutMs: number): Promise<boolean> {
    if (this.head >= Number(block)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => (unsubscribe(), resolve(false)), timeoutMs);
      const unsubscribe = this.subscribe((head) => {
        if (head < Number(block)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(true);
      });
    });
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Applies one batch of events (in chain order) and tells subscribers. */
  async applyBatch(toBlock: bigint, events: MarketEvent[]): Promise<void> {
    const blocks = [...new Set(events.map((e) => e.blockNumber!)), toBlock];
    await Promise.all(
      blocks.filter((b) => !this.blockTimes.has(b)).map(async (b) => {
        const block = await this.client.getBlock({ blockNumber: b });
        this.blockTimes.set(b, Number(block.timestamp));
      }),
    );
    for (const ev of events) this.apply(ev, this.blockTimes.get(ev.blockNumber!)!);
    this.head = Number(toBlock);
    this.chainTime = this.blockTimes.get(toBlock)!;
    // Only the timestamps of event blocks are needed again (for history); drop the heads.
    for (const b of this.blockTimes.keys()) if (b !== toBlock && !events.some((e) => e.blockNumber === b)) this.blockTimes.delete(b);
    for (const fn of this.listeners) fn(this.head);
  }

  private credit(address: Address) {
    let c = this.requesterCredits.get(address);
    if (!c) this.requesterCredits.set(address, (c = { refunded: 0n, slashed: 0n, spent: 0n }));
    return c;
  }

  private apply(ev: MarketEvent, time: number): void {
    const base = { block: Number(ev.blockNumber), time, tx: ev.transactionHash as Hex };
    switch (ev.eventName) {
      case "ProviderRegistered":
      case "ProviderUpdated": {
        const a = ev.args as Required<typeof ev.args>;
        const p = this.providers.get(a.provider);
        if (p) Object.assign(p, { peerId: a.peerId, multiaddrs: [...a.multiaddrs], askPrice: a.askPrice });
        else
          this.providers.set(a.provider, {
            address: a.provider,
            peerId: a.peerId,
            multiaddrs: [...a.multiaddrs],
            askPrice: a.askPrice,
            registeredAt: time,
            bids: 0,
            earned: 0n,
            slashed: 0n,
            jobs: [],
            awarded: 0,
            agreed: 0,
            reputation: [],
          });
        return;
      }
      case "JobPosted": {
        const a = ev.args as Required<typeof ev.args>;
        this.jobs.set(a.jobId, {
          id: a.jobId,
          requester: a.requester,
          manifestCid: cidText(a.manifestCid),
          replicas: a.replicas,
          quorum: a.quorum,
          maxPrice: a.maxPrice,
          escrow: a.escrow,
          bidDeadline: Number(a.bidDeadline),
          commitWindow: a.commitWindow,
          revealWindow: a.revealWindow,
          minReputation: a.minReputation,
          awardOnFill: a.awardOnFill,
          postedAt: time,
          postedBlock: Number(ev.blockNumber),
          bids: new Map(),
          replicas_: new Map(),
          timeline: [{ kind: "posted", ...base, amount: a.escrow.toString() }],
        });
        this.credit(a.requester).spent += a.escrow;
        return;
      }
      case "BidPlaced": {
        const a = ev.args as Required<typeof ev.args>;
        const job = this.jobs.get(a.jobId);
        if (!job) return;
        job.bids.set(a.provider, { provider: a.provider, price: a.price.toString(), priceN: a.price, collateral: a.collateral.toString(), time, displaced: false, won: false });
        job.timeline.push({ kind: "bid", ...base, provider: a.provider, amount: a.price.toString(), amount2: a.collateral.toString() });
        const p = this.providers.get(a.provider);
        if (p) p.bids++;
        return;
      }
      case "BidDisplaced": {
        const a = ev.args as Required<typeof ev.args>;
        const job = this.jobs.get(a.jobId);
        const bid = job?.bids.get(a.provider);
        if (!job || !bid) return;
        bid.displaced = true;
        job.timeline.push({ kind: "displaced", ...base, provider: a.provider, amount: a.price.toString() });
        return;
      }
      case "JobAwarded": {
        const a = ev.args as Required<typeof ev.args>;
        const job = this.jobs.get(a.jobId);
        if (!job) return;
        job.winners = a.winners;
        job.commitDeadline = Number(a.commitDeadline);
        for (const bid of job.bids.values()) {
          if (bid.displaced) continue;
          bid.won = true;
          job.replicas_.set(bid.provider, { provider: bid.provider, price: bid.price, collateral: bid.collateral, committed: false, revealed: false });
          const p = this.providers.get(bid.provider);
          if (p) p.jobs.push(job.id);
        }
        job.timeline.push({ kind: "awarded", ...base, amount: String(a.winners) });
        return;
      }
      case "Committed": {
        // Always after the replica's JobAwarded: a commit, or (bidAndCommit) a commitment carried by
        // the bid, emitted at the award for each winner; a displaced bid's commitment never shows here.
        const a = ev.args as Required<typeof ev.args>;
        const job = this.jobs.get(a.jobId);
        const r = job?.replicas_.get(a.provider);
        if (!job || !r) return;
        r.committed = true;
        job.timeline.push({ kind: "committed", ...base, provider: a.provider });
        return;
      }
      case "RevealOpened": {
        const a = ev.args as Required<typeof ev.args>;
        const job = this.jobs.get(a.jobId);
        if (!job) return;
        job.revealDeadline = Number(a.revealDeadline);
        job.timeline.push({ kind: "revealOpened", ...base });
        return;
      }
      case "Revealed": {
        const a = ev.args as Required<typeof ev.args>;
        const job = this.jobs.get(a.jobId);
        const r = job?.replicas_.get(a.provider);
        if (!job || !r) return;
        r.revealed = true;
        r.resultCid = cidText(a.resultCid);
        r.sealedResultCid = cidText(a.sealedResultCid);
        job.timeline.push({ kind: "revealed", ...base, provider: a.provider });
        return;
      }
      case "ReplicaSettled": {
        const a = ev.args as Required<typeof ev.args>;
        const job = this.jobs.get(a.jobId);
        const outcome = REPLICA_OUTCOMES[Number(a.outcome)] as OutcomeName;
        const r = job?.replicas_.get(a.provider);
        if (r) Object.assign(r, { outcome, paid: a.paid.toString(), slashed: a.slashed.toString() });
        job?.timeline.push({ kind: "replicaSettled", ...base, provider: a.provider, outcome, amount: a.paid.toString(), amount2: a.slashed.toString() });
        const p = this.providers.get(a.provider);
        if (p) {
          p.earned += a.paid;
          p.slashed += a.slashed;
          p.awarded++;
          if (outcome === "Agreed") p.agreed++;
          // The contract's score formula (docs/PROTOCOL.md, "### Providers"), replayed per event.
          p.reputation.push({ time, score: Math.floor(((p.agreed + 1) * 10_000) / (p.awarded + 2)), outcome, jobId: a.jobId.toString() });
        }
        if (job && a.slashed > 0n) this.credit(job.requester).slashed += a.slashed;
        return;
      }
      case "JobSettled": {
        const a = ev.args as Required<typeof ev.args>;
        const job = this.jobs.get(a.jobId);
        if (!job) return;
        const state = nameOf(a.state);
        job.settlement = {
          state,
          resultDigest: a.resultDigest,
          paid: a.paid.toString(),
          fee: a.fee.toString(),
          refunded: a.refunded.toString(),
          slashed: a.slashed.toString(),
          time,
          block: Number(ev.blockNumber),
        };
        job.timeline.push({ kind: "settled", ...base, state, amount: a.paid.toString() });
        const c = this.credit(job.requester);
        c.refunded += a.refunded;
        c.spent -= a.refunded;
        return;
      }
      default:
        return;
    }
  }
}

/** The state a job is in, by its events (a job past its deadline stays in its phase until someone claims it). */
export function stateOf(job: JobRecord): JobStateName {
  if (job.settlement) return job.settlement.state;
  if (job.revealDeadline !== undefined) return "Revealing";
  if (job.winners !== undefined) return "Committing";
  return "Open";
}

/** The consensus result's CID: the result CID of a reveal whose digest is the settled one. */
export function consensusCidOf(job: JobRecord): string | undefined {
  const digest = job.settlement?.resultDigest;
  if (!digest || /^0x0+$/.test(digest)) return undefined;
  for (const r of job.replicas_.values()) {
    if (!r.resultCid) continue;
    try {
      if (bytesToHex(CID.parse(r.resultCid).multihash.digest) === digest) return r.resultCid;
    } catch {
      // an undecodable CID cannot be the consensus
    }
  }
  return undefined;
}

/** Follows the chain into `index` until `signal` aborts; resolves `ready` once caught up with the head at start. */
export function followInto(index: MarketIndex, client: PublicClient, p: { address: Address; fromBlock: bigint; confirmations: number; signal: AbortSignal }) {
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
  const run = async () => {
    const target = await client.getBlockNumber({ cacheTime: 0 });
    if (target < p.fromBlock) resolveReady();
    for await (const batch of followMarketEvents(client, {
      address: p.address,
      fromBlock: p.fromBlock,
      confirmations: p.confirmations,
      signal: p.signal,
      pollIntervalMs: 250,
      onRpcError: (err, retry) => console.warn(`accord-web: reading the chain failed (${err.message}); retrying in ${retry} ms`),
    })) {
      await index.applyBatch(batch.toBlock, batch.events);
      if (batch.toBlock >= target) resolveReady();
    }
  };
  run().catch((err) => {
    console.error("accord-web: the market index stopped:", err);
    rejectReady(err);
  });
  return ready;
}

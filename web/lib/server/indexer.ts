import { applyJobEvent, applyProviderEvent, followMarketEvents, newHistory, toJobEvent, type JobEvent, type JobHistory, type JobStateName as ChainJobStateName, type MarketEvent, type RegisteredProvider } from "@accord/client/chain";
import { CID } from "multiformats/cid";
import { bytesToHex, type Address, type PublicClient } from "viem";
import type { RunTag } from "../runs.ts";
import type { JobStateName, OutcomeName, TimelineEntry, TimelineKind } from "../types.ts";

/**
 * An in-memory index of the JobMarket, built from its events alone. Job ids are opaque and a
 * terminal job's storage record is reused by later jobs, so the contract's views cannot tell
 * history; the events can, and they are the same for everyone who reads the chain.
 */
export type JobRecord = {
  /** The job as the SDK folds its events (the same reading as `getJob`). */
  history: JobHistory;
  /** Block times the page shows, which events do not carry. */
  postedAt: number;
  bidTimes: Map<Address, number>;
  settledAt?: number;
  timeline: TimelineEntry[];
  fuel?: number;
  /** The server tried to read the manifest (for the fuel limit), whether or not it could. */
  fuelTried?: boolean;
  /** Reads of the manifest that found nobody serving it, and when to try again (content.ts). */
  manifestMisses?: number;
  manifestRetryAt?: number;
  /** The bag of tasks the job is an attempt of, from its manifest's nonce (lib/runs.ts). */
  run?: RunTag;
};

/** What the index adds up about a registered provider. */
export type ProviderRecord = {
  address: Address;
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
  /** What each settled replica paid or slashed, when, for the earnings chart. */
  earnings: { time: number; earned: bigint; slashed: bigint }[];
};

type Listener = (head: number) => void;

const TIMELINE_KIND: Record<JobEvent["type"], TimelineKind> = {
  posted: "posted",
  bid: "bid",
  bidDisplaced: "displaced",
  drawn: "drawn",
  awarded: "awarded",
  committed: "committed",
  revealOpened: "revealOpened",
  revealed: "revealed",
  replicaSettled: "replicaSettled",
  settled: "settled",
  escalated: "escalated",
  restituted: "restituted",
};

export class MarketIndex {
  readonly jobs = new Map<bigint, JobRecord>();
  /** Peer ids and addresses as the SDK folds the registry's events. */
  readonly registry = new Map<Address, RegisteredProvider>();
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
    const blocks = [...new Set(events.map((e) => e.blockNumber)), toBlock];
    await Promise.all(
      blocks.filter((b) => !this.blockTimes.has(b)).map(async (b) => {
        const block = await this.client.getBlock({ blockNumber: b });
        this.blockTimes.set(b, Number(block.timestamp));
      }),
    );
    for (const ev of events) this.apply(ev, this.blockTimes.get(ev.blockNumber)!);
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
    const registered = applyProviderEvent(this.registry, ev);
    if (registered) {
      const { address } = registered;
      if (!this.providers.has(address)) this.providers.set(address, { address, registeredAt: time, bids: 0, earned: 0n, slashed: 0n, jobs: [], awarded: 0, agreed: 0, reputation: [], earnings: [] });
      return;
    }
    const jobEvent = toJobEvent(ev);
    if (jobEvent) this.applyJobEvent(jobEvent, time);
  }

  private applyJobEvent(ev: JobEvent, time: number): void {
    if (ev.type === "posted") {
      this.jobs.set(ev.jobId, { history: newHistory(ev), postedAt: time, bidTimes: new Map(), timeline: [] });
      this.credit(ev.requester).spent += ev.escrow;
    }
    const job = this.jobs.get(ev.jobId);
    if (!job) return; // posted before the index's first block
    if (!concernsKnownParty(job.history, ev)) return;
    applyJobEvent(job.history, ev);
    job.timeline.push({ kind: TIMELINE_KIND[ev.type], block: Number(ev.blockNumber), time, tx: ev.transactionHash, ...timelineDetail(ev) });
    const provider = "provider" in ev ? this.providers.get(ev.provider) : undefined;
    switch (ev.type) {
      case "bid":
        job.bidTimes.set(ev.provider, time);
        if (provider) provider.bids++;
        return;
      case "awarded":
        for (const r of job.history.awarded) this.providers.get(r.provider)?.jobs.push(ev.jobId);
        return;
      case "replicaSettled":
        if (provider) {
          provider.earned += ev.paid;
          provider.slashed += ev.slashed;
          provider.earnings.push({ time, earned: ev.paid, slashed: ev.slashed });
          provider.awarded++;
          if (ev.outcome === "Agreed") provider.agreed++;
          // The contract's score formula (docs/PROTOCOL.md, "### Providers"), replayed per event.
          provider.reputation.push({ time, score: Math.floor(((provider.agreed + 1) * 10_000) / (provider.awarded + 2)), outcome: ev.outcome, jobId: ev.jobId.toString() });
        }
        if (ev.slashed > 0n) this.credit(job.history.requester).slashed += ev.slashed;
        return;
      case "settled": {
        job.settledAt = time;
        const c = this.credit(job.history.requester);
        c.refunded += ev.refunded;
        c.spent -= ev.refunded;
        return;
      }
    }
  }
}

/** False for a displacement of a bid the job never had, or a commit or reveal of a replica it never awarded. */
function concernsKnownParty(h: JobHistory, ev: JobEvent): boolean {
  if (ev.type === "bidDisplaced") return h.bids.some((b) => b.provider === ev.provider);
  if (ev.type === "committed" || ev.type === "revealed") return h.awarded.some((r) => r.provider === ev.provider);
  return true;
}

/** The page's name of a state the events name ("None" is no state a job's event can carry). */
export const pageState = (state: ChainJobStateName): JobStateName => (state === "None" ? "Open" : state);

/** What a timeline entry shows beside its kind. */
function timelineDetail(ev: JobEvent): Partial<TimelineEntry> {
  switch (ev.type) {
    case "posted":
      return { amount: ev.escrow.toString() };
    case "bid":
      return { provider: ev.provider, amount: ev.price.toString(), amount2: ev.collateral.toString() };
    case "bidDisplaced":
      return { provider: ev.provider, amount: ev.price.toString() };
    case "awarded":
      return { amount: String(ev.winners) };
    case "committed":
    case "revealed":
      return { provider: ev.provider };
    case "replicaSettled":
      return { provider: ev.provider, outcome: ev.outcome, amount: ev.paid.toString(), amount2: ev.slashed.toString() };
    case "settled":
      return { state: pageState(ev.state), amount: ev.paid.toString() };
    case "drawn":
      // The pool the k replicas were drawn from.
      return { amount: String(ev.pool) };
    case "revealOpened":
      return {};
    case "escalated":
      // The round's number and the replicas it seeks.
      return { amount: String(ev.round), amount2: String(ev.extra) };
    case "restituted":
      return { amount: ev.amount.toString() };
  }
}

/** The consensus result's CID: the result CID of a reveal whose digest is the settled one. */
export function consensusCidOf(job: JobHistory): string | undefined {
  const digest = job.settlement?.resultDigest;
  if (!digest || /^0x0+$/.test(digest)) return undefined;
  for (const r of job.awarded) {
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

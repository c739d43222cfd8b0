import type { JobDetail, OutcomeName, TimelineEntry } from "./types.ts";

/** One replica of a round: who, at what bid, what it revealed and how settlement judged it. */
export type RoundReplica = {
  provider: string;
  price?: string;
  committed: boolean;
  resultCid?: string;
  /** Its revealed result against the consensus: undefined until a consensus or without a reveal. */
  agrees?: boolean;
  outcome?: OutcomeName;
  paid?: string;
  slashed?: string;
};

/** How a round ended: it escalated to the next, the job settled in it, or it is still going on. */
export type RoundEnd =
  | { kind: "escalated"; entry: TimelineEntry; nextRound: number; extra: number }
  | { kind: "settled"; entry: TimelineEntry }
  | { kind: "open" };

/**
 * A job's round (docs/PROTOCOL.md, "Escalation"): round 0 is the first k replicas; each
 * JobEscalated opens the next, which draws up to `sought` replicas from providers not yet in the job.
 */
export type JobRound = {
  round: number;
  /** Replicas the round asked for: k for the first, the escalation's `extra` after. */
  sought: number;
  /** The escalation that opened it (absent for round 0). */
  opened?: TimelineEntry;
  /** Bids placed in this round's pool, and the entries the draw or a heavier bid pushed out. */
  bids: number;
  displaced: number;
  award?: TimelineEntry;
  replicas: RoundReplica[];
  /** Reveals in this round, and how many distinct results they revealed. */
  reveals: number;
  distinctResults: number;
  end: RoundEnd;
};

/**
 * The job's rounds from its timeline (chain order) and replica rows: each round's pool is the bids
 * after the event that opened it, its replicas the bids still in the pool at its award (as the
 * contract's book holds them), its reveals those of its replicas. Settlement and restitution
 * belong to the last round.
 */
export function jobRounds(job: Pick<JobDetail, "timeline" | "replicaRows" | "replicas" | "consensusCid">): { rounds: JobRound[]; restitution?: TimelineEntry } {
  const rows = new Map(job.replicaRows.map((r) => [r.provider.toLowerCase(), r]));
  const rounds: JobRound[] = [];
  let cur = newRound(0, job.replicas);
  let pool: string[] = [];
  let out = new Set<string>();
  let restitution: TimelineEntry | undefined;
  const prices = new Map<string, string>();
  const roundOf = new Map<string, JobRound>();
  for (const e of job.timeline) {
    const who = e.provider?.toLowerCase();
    switch (e.kind) {
      case "bid":
        if (!who) break;
        cur.bids++;
        pool.push(who);
        out.delete(who);
        prices.set(who, e.amount!);
        break;
      case "displaced":
        if (!who) break;
        cur.displaced++;
        out.add(who);
        break;
      case "awarded":
        cur.award = e;
        for (const p of pool.filter((p) => !out.has(p))) {
          const r = rows.get(p);
          cur.replicas.push({ provider: r?.provider ?? p, price: prices.get(p), committed: r?.committed ?? false, resultCid: r?.resultCid, outcome: r?.outcome, paid: r?.paid, slashed: r?.slashed });
          roundOf.set(p, cur);
        }
        break;
      case "revealed":
        // The indexer keeps only reveals of awarded replicas, so each has its round.
        if (who && roundOf.has(who)) roundOf.get(who)!.reveals++;
        break;
      case "escalated": {
        const next = Number(e.amount);
        const extra = Number(e.amount2);
        cur.end = { kind: "escalated", entry: e, nextRound: next, extra };
        rounds.push(cur);
        cur = { ...newRound(next, extra), opened: e };
        pool = [];
        out = new Set();
        break;
      }
      case "settled":
        cur.end = { kind: "settled", entry: e };
        break;
      case "restituted":
        restitution = e;
        break;
    }
  }
  rounds.push(cur);
  for (const r of rounds) {
    const cids = r.replicas.map((x) => x.resultCid).filter((c): c is string => !!c);
    r.distinctResults = new Set(cids).size;
    if (job.consensusCid) for (const x of r.replicas) if (x.resultCid) x.agrees = x.resultCid === job.consensusCid;
  }
  return { rounds, ...(restitution ? { restitution } : {}) };
}

function newRound(round: number, sought: number): JobRound {
  return { round, sought, bids: 0, displaced: 0, replicas: [], reveals: 0, distinctResults: 0, end: { kind: "open" } };
}

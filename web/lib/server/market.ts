import { jobMarketAbi } from "@accord/client/abi";
import { erc20Abi, type Address } from "viem";
import { activeBids, peerIdString, readProvider, type JobReplica, type ProviderInfo } from "@accord/client/chain";
import type { AccountSnapshot, Hex, JobDetail, JobsPage, JobStateName, JobSummary, MarketSnapshot, ProviderDetail, ProviderJobRow, ProviderRow, ReplicaRow } from "../types.ts";
import { serverContext, type ServerContext } from "./context.ts";
import { consensusCidOf, followInto, MarketIndex, pageState, type JobRecord, type ProviderRecord } from "./indexer.ts";
import { median, medianPerBucket, sumsPerBucket, type TimedAmount } from "../history.ts";
import { matchesJobQuery, pageOf, type JobQuery } from "../job-query.ts";
import { requesterRuns } from "./runs.ts";

/** How long an API request waits for the index to catch up with the chain before answering 503. */
export const INDEX_READY_TIMEOUT_MS = 20_000;
/** How long a lookup of an unknown id waits for the index to read the chain's current head. */
export const INDEX_CATCH_UP_MS = 5_000;
/** Rows in the market page's lists. */
export const RECENT_JOBS = 20;
const HOUR_S = 3600;

export type Market = { ctx: ServerContext; index: MarketIndex; ready: Promise<void>; stop: AbortController };
const g = globalThis as unknown as { __accordMarket?: Promise<Market> };

export class IndexNotReadyError extends Error {
  constructor() {
    super("The market index is still catching up with the chain.");
  }
}

/** The server's market index, started on first use and kept for the life of the process. */
export function market(): Promise<Market> {
  g.__accordMarket ??= (async () => {
    const ctx = await serverContext();
    const index = new MarketIndex(ctx.client);
    const stop = new AbortController();
    const ready = followInto(index, ctx.client, {
      address: ctx.deployment.jobMarket,
      fromBlock: BigInt(ctx.deployment.startBlock),
      confirmations: ctx.config.confirmations,
      signal: stop.signal,
    });
    ready.catch(() => {
      g.__accordMarket = undefined;
    });
    return { ctx, index, ready, stop };
  })().catch((err) => {
    g.__accordMarket = undefined;
    throw err;
  });
  return g.__accordMarket;
}

/** The index once it has caught up with the chain. */
export async function readyMarket(): Promise<Market> {
  const m = await market();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([m.ready, new Promise((_, rej) => (timer = setTimeout(() => rej(new IndexNotReadyError()), INDEX_READY_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
  return m;
}

const stateOf = (job: JobRecord): JobStateName => pageState(job.history.state);

function replicaRow(r: JobReplica): ReplicaRow {
  const { price, collateral, paid, slashed, ...rest } = r;
  return { ...rest, price: price.toString(), collateral: collateral.toString(), paid: paid?.toString(), slashed: slashed?.toString() };
}

export function jobSummary(job: JobRecord): JobSummary {
  const h = job.history;
  return {
    id: h.jobId.toString(),
    requester: h.requester,
    state: stateOf(job),
    replicas: h.replicas,
    quorum: h.quorum,
    maxPrice: h.maxPrice.toString(),
    escrow: h.escrow.toString(),
    minReputation: h.minReputation,
    postedAt: job.postedAt,
    postedBlock: Number(h.postedBlock),
    bids: activeBids(h).length,
    commits: h.awarded.filter((r) => r.committed).length,
    reveals: h.awarded.filter((r) => r.revealed).length,
    fuel: job.fuel,
    paid: h.settlement?.paid.toString(),
    settledAt: job.settledAt,
  };
}

export function jobDetail(job: JobRecord, chainTime: number): JobDetail {
  const h = job.history;
  const s = h.settlement;
  return {
    ...jobSummary(job),
    manifestCid: h.manifestCid,
    bidDeadline: Number(h.bidDeadline),
    commitWindow: h.commitWindow,
    revealWindow: h.revealWindow,
    awardOnFill: h.awardOnFill,
    commitDeadline: h.commitDeadline === undefined ? undefined : Number(h.commitDeadline),
    revealDeadline: h.revealDeadline === undefined ? undefined : Number(h.revealDeadline),
    timeline: job.timeline,
    bidBook: h.bids.map((b) => ({
      provider: b.provider,
      price: b.price.toString(),
      collateral: b.collateral.toString(),
      time: job.bidTimes.get(b.provider)!,
      displaced: b.displaced,
      notDrawn: b.notDrawn ?? false,
      // Nothing enters or leaves the book after the award: a bid still in it then won.
      won: h.commitDeadline !== undefined && !b.displaced,
    })),
    replicaRows: h.awarded.map(replicaRow),
    settlement: s && {
      state: pageState(s.state),
      resultDigest: s.resultDigest,
      paid: s.paid.toString(),
      fee: s.fee.toString(),
      refunded: s.refunded.toString(),
      slashed: s.slashed.toString(),
      time: job.settledAt!,
      block: Number(s.blockNumber),
    },
    consensusCid: consensusCidOf(h),
    chainTime,
  };
}

/** Winning prices per 1e9 fuel at their award's block time, for replicas of jobs whose fuel limit is known. */
function awardedPricesPerGfuel(jobs: Iterable<JobRecord>, provider?: Address): TimedAmount[] {
  const out: TimedAmount[] = [];
  for (const job of jobs) {
    if (!job.fuel) continue;
    const awardedAt = job.timeline.find((e) => e.kind === "awarded")?.time ?? job.postedAt;
    for (const r of job.history.awarded) if (!provider || r.provider === provider) out.push({ time: awardedAt, amount: (r.price * 1_000_000_000n) / BigInt(job.fuel) });
  }
  return out;
}

const pricesPerGfuel = (jobs: Iterable<JobRecord>, provider?: Address) => awardedPricesPerGfuel(jobs, provider).map((p) => p.amount);

function providerRow(m: Market, rec: ProviderRecord, live: ProviderInfo): ProviderRow {
  const jobs = rec.jobs.map((id) => m.index.jobs.get(id)).filter((j): j is JobRecord => !!j);
  return {
    address: rec.address,
    peerId: peerIdString(live.peerId),
    multiaddrs: live.multiaddrs,
    askPrice: live.askPrice.toString(),
    stake: live.stake.toString(),
    locked: live.locked.toString(),
    score: live.score,
    awarded: live.awarded,
    agreed: live.agreed,
    dissented: live.dissented,
    missed: live.missed,
    agreementRate: live.awarded ? live.agreed / live.awarded : undefined,
    earned: rec.earned.toString(),
    slashed: rec.slashed.toString(),
    bids: rec.bids,
    medianPricePerGfuel: median(pricesPerGfuel(jobs, rec.address))?.toString(),
    active: live.registered && live.stake >= m.ctx.parameters.minStake && live.stake > 0n,
    registeredAt: rec.registeredAt,
  };
}

/** Every registered provider with its live record, best first (score, then lower ask). */
export async function providerRows(m: Market): Promise<ProviderRow[]> {
  const recs = [...m.index.providers.values()];
  const live = await Promise.all(recs.map((r) => readProvider(m.ctx.client, m.ctx.deployment.jobMarket, r.address)));
  return recs
    .map((r, i) => providerRow(m, r, live[i]!))
    .sort((a, b) => b.score - a.score || (BigInt(a.askPrice) < BigInt(b.askPrice) ? -1 : BigInt(a.askPrice) > BigInt(b.askPrice) ? 1 : 0));
}

export async function providerDetail(m: Market, address: Address): Promise<ProviderDetail | undefined> {
  const rec = [...m.index.providers.values()].find((p) => p.address.toLowerCase() === address.toLowerCase());
  if (!rec) return undefined;
  const live = await readProvider(m.ctx.client, m.ctx.deployment.jobMarket, rec.address);
  const history: ProviderJobRow[] = [];
  for (const job of m.index.jobs.values()) {
    const bid = job.history.bids.find((b) => b.provider === rec.address);
    if (!bid) continue;
    const r = job.history.awarded.find((x) => x.provider === rec.address);
    history.push({ jobId: job.history.jobId.toString(), time: job.bidTimes.get(bid.provider)!, price: bid.price.toString(), outcome: r?.outcome, paid: r?.paid?.toString(), slashed: r?.slashed?.toString(), state: stateOf(job) });
  }
  history.sort((a, b) => b.time - a.time);
  return { ...providerRow(m, rec, live), history, reputation: rec.reputation, earningsHistory: sumsPerBucket(rec.earnings, rec.registeredAt, m.index.chainTime) };
}

export async function marketSnapshot(m: Market): Promise<MarketSnapshot> {
  const jobs = jobsNewestFirst(m);
  const states = jobs.map(stateOf);
  const now = m.index.chainTime;
  let totalPaid = 0n;
  let totalFees = 0n;
  for (const j of jobs) {
    if (!j.history.settlement) continue;
    totalPaid += j.history.settlement.paid;
    totalFees += j.history.settlement.fee;
  }
  const providers = await providerRows(m);
  const hourNow = Math.floor(now / HOUR_S) * HOUR_S;
  const jobsPerHour = Array.from({ length: 24 }, (_, i) => ({ hourStart: hourNow - (23 - i) * HOUR_S, posted: 0, settled: 0 }));
  for (const j of jobs) {
    const pi = 23 - Math.floor((hourNow - Math.floor(j.postedAt / HOUR_S) * HOUR_S) / HOUR_S);
    if (pi >= 0 && pi < 24) jobsPerHour[pi]!.posted++;
    if (j.settledAt !== undefined) {
      const si = 23 - Math.floor((hourNow - Math.floor(j.settledAt / HOUR_S) * HOUR_S) / HOUR_S);
      if (si >= 0 && si < 24) jobsPerHour[si]!.settled++;
    }
  }
  return {
    stats: {
      head: m.index.head,
      chainTime: now,
      jobsTotal: jobs.length,
      openJobs: states.filter((s) => s === "Open").length,
      runningJobs: states.filter((s) => s === "Committing" || s === "Revealing").length,
      settledJobs: jobs.filter((j) => j.history.settlement).length,
      succeededJobs: states.filter((s) => s === "Succeeded").length,
      jobsLastHour: jobs.filter((j) => j.postedAt > now - HOUR_S).length,
      totalPaid: totalPaid.toString(),
      totalFees: totalFees.toString(),
      medianPricePerGfuel: median(pricesPerGfuel(jobs))?.toString(),
      activeProviders: providers.filter((p) => p.active).length,
    },
    open: jobs.filter((j) => !j.history.settlement).slice(0, RECENT_JOBS).map(jobSummary),
    recent: jobs.filter((j) => j.history.settlement).slice(0, RECENT_JOBS).map(jobSummary),
    providers: providers.filter((p) => p.active),
    jobsPerHour,
    priceHistory: medianPerBucket(awardedPricesPerGfuel(jobs), now),
  };
}

/** Every job the index knows, newest first. */
function jobsNewestFirst(m: Market): JobRecord[] {
  return [...m.index.jobs.values()].sort((a, b) => Number(b.history.postedBlock - a.history.postedBlock) || (a.history.jobId < b.history.jobId ? 1 : -1));
}

/** One page of every job the index knows, filtered by state, requester and provider (any that bid). */
export function jobsPage(m: Market, q: JobQuery): JobsPage {
  const rows = jobsNewestFirst(m).filter((j) => matchesJobQuery({ state: stateOf(j), requester: j.history.requester, providers: j.history.bids.map((b) => b.provider) }, q));
  const page = pageOf(rows, q);
  return { jobs: page.rows.map(jobSummary), total: page.total, pages: page.pages, page: q.page, per: q.per, chainTime: m.index.chainTime };
}

export async function accountSnapshot(m: Market, address: Address): Promise<AccountSnapshot> {
  const lower = address.toLowerCase();
  const jobs = [...m.index.jobs.values()].filter((j) => j.history.requester.toLowerCase() === lower).sort((a, b) => Number(b.history.postedBlock - a.history.postedBlock));
  const credits = [...m.index.requesterCredits.entries()].find(([a]) => a.toLowerCase() === lower)?.[1];
  const [withdrawable, balance, provider] = await Promise.all([
    m.ctx.client.readContract({ address: m.ctx.deployment.jobMarket, abi: jobMarketAbi, functionName: "withdrawable", args: [address] }),
    m.ctx.client.readContract({ address: m.ctx.deployment.token, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
    providerDetail(m, address),
  ]);
  return {
    address: address as Hex,
    jobs: jobs.map(jobSummary),
    runs: requesterRuns(m.index, address),
    spent: (credits?.spent ?? 0n).toString(),
    refunded: (credits?.refunded ?? 0n).toString(),
    slashedToMe: (credits?.slashed ?? 0n).toString(),
    provider,
    withdrawable: withdrawable.toString(),
    balance: balance.toString(),
    chainTime: m.index.chainTime,
  };
}

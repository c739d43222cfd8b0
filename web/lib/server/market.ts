import { readProvider, type ProviderInfo } from "@accord/client/chain/market.ts";
import { peerIdString } from "@accord/client/actions/internal/peers.ts";
import { jobMarketAbi } from "@accord/client/abi";
import { erc20Abi, type Address } from "viem";
import type { AccountSnapshot, Hex, JobDetail, JobSummary, MarketSnapshot, ProviderDetail, ProviderJobRow, ProviderRow } from "../types.ts";
import { serverContext, type ServerContext } from "./context.ts";
import { consensusCidOf, followInto, MarketIndex, stateOf, type JobRecord, type ProviderRecord } from "./indexer.ts";

/** How long an API request waits for the index to catch up with the chain before answering 503. */
export const INDEX_READY_TIMEOUT_MS = 20_000;
/** How long a lookup of an unknown id waits for the index to read the chain's current head. */
export const INDEX_CATCH_UP_MS = 5_000;
/** Rows in the market page's lists. */
export const RECENT_JOBS = 20;
const HOUR_S = 3600;

type Market = { ctx: ServerContext; index: MarketIndex; ready: Promise<void>; stop: AbortController };
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

export function jobSummary(job: JobRecord): JobSummary {
  const replicas = [...job.replicas_.values()];
  return {
    id: job.id.toString(),
    requester: job.requester,
    state: stateOf(job),
    replicas: job.replicas,
    quorum: job.quorum,
    maxPrice: job.maxPrice.toString(),
    escrow: job.escrow.toString(),
    minReputation: job.minReputation,
    postedAt: job.postedAt,
    postedBlock: job.postedBlock,
    bids: [...job.bids.values()].filter((b) => !b.displaced).length,
    commits: replicas.filter((r) => r.committed).length,
    reveals: replicas.filter((r) => r.revealed).length,
    fuel: job.fuel,
    paid: job.settlement?.paid,
    settledAt: job.settlement?.time,
  };
}

export function jobDetail(job: JobRecord, chainTime: number): JobDetail {
  return {
    ...jobSummary(job),
    manifestCid: job.manifestCid,
    bidDeadline: job.bidDeadline,
    commitWindow: job.commitWindow,
    revealWindow: job.revealWindow,
    awardOnFill: job.awardOnFill,
    commitDeadline: job.commitDeadline,
    revealDeadline: job.revealDeadline,
    timeline: job.timeline,
    bidBook: [...job.bids.values()].map(({ priceN: _, ...b }) => b),
    replicaRows: [...job.replicas_.values()],
    settlement: job.settlement,
    consensusCid: consensusCidOf(job),
    chainTime,
  };
}

function median(values: bigint[]): bigint | undefined {
  if (!values.length) return undefined;
  const s = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2n;
}

/** Winning prices per 1e9 fuel, for replicas of jobs whose fuel limit is known. */
function pricesPerGfuel(jobs: Iterable<JobRecord>, provider?: Address): bigint[] {
  const out: bigint[] = [];
  for (const job of jobs) {
    if (!job.fuel) continue;
    for (const r of job.replicas_.values()) if (!provider || r.provider === provider) out.push((BigInt(r.price) * 1_000_000_000n) / BigInt(job.fuel));
  }
  return out;
}

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
    const bid = job.bids.get(rec.address);
    if (!bid) continue;
    const r = job.replicas_.get(rec.address);
    history.push({ jobId: job.id.toString(), time: bid.time, price: bid.price, outcome: r?.outcome, paid: r?.paid, slashed: r?.slashed, state: stateOf(job) });
  }
  history.sort((a, b) => b.time - a.time);
  return { ...providerRow(m, rec, live), history, reputation: rec.reputation };
}

export async function marketSnapshot(m: Market): Promise<MarketSnapshot> {
  const jobs = [...m.index.jobs.values()].sort((a, b) => b.postedBlock - a.postedBlock || (a.id < b.id ? 1 : -1));
  const states = jobs.map(stateOf);
  const now = m.index.chainTime;
  let totalPaid = 0n;
  let totalFees = 0n;
  for (const j of jobs) {
    if (!j.settlement) continue;
    totalPaid += BigInt(j.settlement.paid);
    totalFees += BigInt(j.settlement.fee);
  }
  const providers = await providerRows(m);
  const hourNow = Math.floor(now / HOUR_S) * HOUR_S;
  const jobsPerHour = Array.from({ length: 24 }, (_, i) => ({ hourStart: hourNow - (23 - i) * HOUR_S, posted: 0, settled: 0 }));
  for (const j of jobs) {
    const pi = 23 - Math.floor((hourNow - Math.floor(j.postedAt / HOUR_S) * HOUR_S) / HOUR_S);
    if (pi >= 0 && pi < 24) jobsPerHour[pi]!.posted++;
    if (j.settlement) {
      const si = 23 - Math.floor((hourNow - Math.floor(j.settlement.time / HOUR_S) * HOUR_S) / HOUR_S);
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
      settledJobs: jobs.filter((j) => j.settlement).length,
      succeededJobs: states.filter((s) => s === "Succeeded").length,
      jobsLastHour: jobs.filter((j) => j.postedAt > now - HOUR_S).length,
      totalPaid: totalPaid.toString(),
      totalFees: totalFees.toString(),
      medianPricePerGfuel: median(pricesPerGfuel(jobs))?.toString(),
      activeProviders: providers.filter((p) => p.active).length,
    },
    open: jobs.filter((j) => !j.settlement).slice(0, RECENT_JOBS).map(jobSummary),
    recent: jobs.filter((j) => j.settlement).slice(0, RECENT_JOBS).map(jobSummary),
    providers: providers.filter((p) => p.active),
    jobsPerHour,
  };
}

export async function accountSnapshot(m: Market, address: Address): Promise<AccountSnapshot> {
  const lower = address.toLowerCase();
  const jobs = [...m.index.jobs.values()].filter((j) => j.requester.toLowerCase() === lower).sort((a, b) => b.postedBlock - a.postedBlock);
  const credits = [...m.index.requesterCredits.entries()].find(([a]) => a.toLowerCase() === lower)?.[1];
  const [withdrawable, balance, provider] = await Promise.all([
    m.ctx.client.readContract({ address: m.ctx.deployment.jobMarket, abi: jobMarketAbi, functionName: "withdrawable", args: [address] }),
    m.ctx.client.readContract({ address: m.ctx.deployment.token, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
    providerDetail(m, address),
  ]);
  return {
    address: address as Hex,
    jobs: jobs.map(jobSummary),
    spent: (credits?.spent ?? 0n).toString(),
    refunded: (credits?.refunded ?? 0n).toString(),
    slashedToMe: (credits?.slashed ?? 0n).toString(),
    provider,
    withdrawable: withdrawable.toString(),
    balance: balance.toString(),
    chainTime: m.index.chainTime,
  };
}

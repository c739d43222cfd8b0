import { groupRun, runsOf, type RunAttempt, type RunDetail, type RunSummary } from "../runs.ts";
import { pageState, consensusCidOf, type JobRecord, type MarketIndex } from "./indexer.ts";

/**
 * The runs (bags of tasks) among the index's jobs: those whose manifest the server has read
 * (content.ts, readNewManifests) and whose nonce names a run.
 */

function attemptOf(job: JobRecord): RunAttempt | undefined {
  if (!job.run) return undefined;
  const h = job.history;
  const s = h.settlement;
  return {
    tag: job.run,
    jobId: h.jobId.toString(),
    requester: h.requester,
    state: pageState(h.state),
    postedBlock: Number(h.postedBlock),
    postedAt: job.postedAt,
    escrow: h.escrow.toString(),
    settled: s && { refunded: s.refunded.toString(), block: Number(s.blockNumber), time: job.settledAt! },
    consensusCid: consensusCidOf(h),
    agreeing: h.awarded.filter((r) => r.outcome === "Agreed" && r.sealedResultCid).map((r) => ({ provider: r.provider, sealedResultCid: r.sealedResultCid! })),
  };
}

const attempts = (index: MarketIndex) => [...index.jobs.values()].map(attemptOf).filter((a): a is RunAttempt => !!a);

export const runDetail = (index: MarketIndex, runId: string): RunDetail | undefined => groupRun(runId, attempts(index), index.chainTime);

export const requesterRuns = (index: MarketIndex, requester: string): RunSummary[] => runsOf(requester, attempts(index), index.chainTime);

/** Whether any job the index has read carries this run id (for search). */
export const knowsRun = (index: MarketIndex, runId: string) => [...index.jobs.values()].some((j) => j.run?.runId === runId);

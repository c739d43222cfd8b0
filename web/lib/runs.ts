import type { CellState, JobStateName, RunCell, RunCounts, RunDetail, RunSummary, RunTag } from "./types.ts";

export type { CellState, RunCell, RunDetail, RunSummary, RunTag };

/**
 * A bag of tasks as the chain shows it (issue #18). `accord run` / `runTasks` put the nonce
 * `accord-run/<runId>/<task>/<n>` in every attempt's manifest (client/src/tasks/state.ts,
 * attemptNonce), so the jobs of one run are found by reading their manifests, with no record
 * of the run anywhere else.
 */
export const RUN_NONCE_PREFIX = "accord-run/";
/** A run id as `runTasks` makes it is 16 hex digits; any URL-safe id up to 64 characters is read. */
export const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * The library's task names (client/src/tasks/schema.ts, TASK_NAME; a test checks they agree): the
 * browser's bundle cannot import the tasks module, which needs node:fs.
 */
export const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** No task is posted more often than this (MAX_ATTEMPTS_LIMIT is 10); a larger number is not a run's. */
const MAX_ATTEMPT = 1_000;

/** The run, task and attempt a manifest's nonce names, or undefined for any other nonce. */
export function parseRunNonce(nonce: string | undefined): RunTag | undefined {
  if (!nonce?.startsWith(RUN_NONCE_PREFIX)) return undefined;
  const parts = nonce.slice(RUN_NONCE_PREFIX.length).split("/");
  if (parts.length !== 3) return undefined;
  const [runId, task, n] = parts as [string, string, string];
  if (!RUN_ID.test(runId) || !TASK_NAME.test(task) || !/^[1-9]\d{0,3}$/.test(n) || Number(n) > MAX_ATTEMPT) return undefined;
  return { runId, task, attempt: Number(n) };
}

/** One posted attempt of a task, as the server's index knows its job. */
export type RunAttempt = {
  tag: RunTag;
  jobId: string;
  requester: `0x${string}`;
  state: JobStateName;
  postedBlock: number;
  postedAt: number;
  escrow: string;
  /** Set once the job settled. */
  settled?: { refunded: string; block: number; time: number };
  /** What the browser needs to fetch and open the result of a job that succeeded. */
  consensusCid?: string;
  agreeing: { provider: `0x${string}`; sealedResultCid: string }[];
};

export function cellState(state: JobStateName): CellState {
  switch (state) {
    case "Open":
      return "waiting";
    case "Committing":
    case "Revealing":
      return "running";
    case "Succeeded":
      return "verified";
    case "NoConsensus":
    case "Failed":
    case "Expired":
    case "Cancelled":
      return "failed";
  }
}

/** Task names in the order a person numbers them: tile-2 before tile-10. */
export const compareTasks = new Intl.Collator("en", { numeric: true }).compare;

/** The later of two attempts of one task: the higher number, then the later post. */
function later(a: RunAttempt, b: RunAttempt): RunAttempt {
  if (a.tag.attempt !== b.tag.attempt) return a.tag.attempt > b.tag.attempt ? a : b;
  if (a.postedBlock !== b.postedBlock) return a.postedBlock > b.postedBlock ? a : b;
  return BigInt(a.jobId) > BigInt(b.jobId) ? a : b;
}

/**
 * The run's grid from its attempts: one cell per task, showing its latest attempt. The run
 * belongs to whoever posted its first job (a run id is random per state file); jobs by other
 * accounts that carry the same id are counted apart and never shown as the run's.
 */
export function groupRun(runId: string, attempts: RunAttempt[], chainTime: number): RunDetail | undefined {
  const mine = attempts.filter((a) => a.tag.runId === runId);
  if (!mine.length) return undefined;
  const first = mine.reduce((a, b) => (b.postedBlock < a.postedBlock || (b.postedBlock === a.postedBlock && BigInt(b.jobId) < BigInt(a.jobId)) ? b : a));
  const owner = first.requester.toLowerCase();
  const own = mine.filter((a) => a.requester.toLowerCase() === owner);
  const byTask = new Map<string, RunAttempt[]>();
  for (const a of own) byTask.set(a.tag.task, [...(byTask.get(a.tag.task) ?? []), a]);
  const counts: RunCounts = { waiting: 0, running: 0, verified: 0, failed: 0 };
  let spent = 0n;
  let escrowed = 0n;
  for (const a of own) {
    if (a.settled) spent += BigInt(a.escrow) - BigInt(a.settled.refunded);
    else escrowed += BigInt(a.escrow);
  }
  const cells: RunCell[] = [];
  for (const [task, list] of byTask) {
    const latest = list.reduce(later);
    const state = cellState(latest.state);
    counts[state]++;
    cells.push({
      task,
      state,
      attempt: latest.tag.attempt,
      jobId: latest.jobId,
      jobState: latest.state,
      attempts: list.length,
      earlier: list
        .filter((a) => a !== latest)
        .sort((a, b) => (later(a, b) === b ? -1 : 1))
        .map((a) => ({ attempt: a.tag.attempt, jobId: a.jobId, state: a.state })),
      consensusCid: state === "verified" ? latest.consensusCid : undefined,
      settlementBlock: latest.settled?.block,
      agreeing: state === "verified" ? latest.agreeing : [],
    });
  }
  cells.sort((a, b) => compareTasks(a.task, b.task));
  return {
    runId,
    requester: first.requester,
    cells,
    counts,
    spent: spent.toString(),
    escrowed: escrowed.toString(),
    jobs: own.length,
    firstPostedAt: Math.min(...own.map((a) => a.postedAt)),
    foreignJobs: mine.length - own.length,
    chainTime,
  };
}

/** Every run of one requester, newest first, for its account page. */
export function runsOf(requester: string, attempts: RunAttempt[], chainTime: number): RunSummary[] {
  const lower = requester.toLowerCase();
  const ids = new Set(attempts.filter((a) => a.requester.toLowerCase() === lower).map((a) => a.tag.runId));
  const out: RunSummary[] = [];
  for (const id of ids) {
    const run = groupRun(id, attempts, chainTime);
    // A run id this account copied into its own jobs belongs to whoever posted first.
    if (!run || run.requester.toLowerCase() !== lower) continue;
    const own = attempts.filter((a) => a.tag.runId === id && a.requester.toLowerCase() === lower);
    out.push({ runId: id, tasks: run.cells.length, counts: run.counts, firstPostedAt: run.firstPostedAt, lastPostedAt: Math.max(...own.map((a) => a.postedAt)) });
  }
  return out.sort((a, b) => b.lastPostedAt - a.lastPostedAt);
}

/**
 * Columns of the grid: the smallest square that holds every task, so a picture cut into T x T
 * tiles numbered row by row (the tiles example) lays out as the picture itself.
 */
export const gridColumns = (cells: number) => Math.max(1, Math.ceil(Math.sqrt(cells)));

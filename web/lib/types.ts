/**
 * What the web server's API returns. Token amounts are decimal strings of the token's smallest
 * unit (JSON has no bigint); times are unix seconds of the block that did it.
 */
import type { DeclineReason, DeclineStatus } from "@accord/client/net";

export type Hex = `0x${string}`;

export type JobStateName = "Open" | "Committing" | "Revealing" | "Succeeded" | "NoConsensus" | "Failed" | "Cancelled" | "Expired";
export type OutcomeName = "Agreed" | "Dissented" | "MissedCommit" | "MissedReveal" | "Unresolved";

export type TimelineKind = "posted" | "bid" | "displaced" | "drawn" | "awarded" | "committed" | "revealOpened" | "revealed" | "replicaSettled" | "settled" | "escalated" | "restituted";

export type TimelineEntry = {
  kind: TimelineKind;
  block: number;
  time: number;
  tx: Hex;
  provider?: Hex;
  amount?: string;
  /** A second amount: collateral of a bid, slashed collateral of a replica. */
  amount2?: string;
  outcome?: OutcomeName;
  state?: JobStateName;
};

/** `notDrawn`: displaced by the market's random draw of k replicas from a larger pool, not outbid. */
export type BidRow = { provider: Hex; price: string; collateral: string; time: number; displaced: boolean; notDrawn: boolean; won: boolean };

export type ReplicaRow = {
  provider: Hex;
  price: string;
  collateral: string;
  committed: boolean;
  revealed: boolean;
  resultCid?: string;
  sealedResultCid?: string;
  outcome?: OutcomeName;
  paid?: string;
  slashed?: string;
};

export type Settlement = {
  state: JobStateName;
  /** 0x00… without consensus. */
  resultDigest: Hex;
  paid: string;
  fee: string;
  refunded: string;
  slashed: string;
  time: number;
  block: number;
};

export type JobSummary = {
  id: string;
  requester: Hex;
  state: JobStateName;
  replicas: number;
  quorum: number;
  maxPrice: string;
  escrow: string;
  minReputation: number;
  postedAt: number;
  postedBlock: number;
  bids: number;
  commits: number;
  reveals: number;
  /** Fuel limit from the manifest, when the server could read the manifest. */
  fuel?: number;
  paid?: string;
  settledAt?: number;
};

export type JobDetail = JobSummary & {
  manifestCid: string;
  bidDeadline: number;
  commitWindow: number;
  revealWindow: number;
  awardOnFill: boolean;
  commitDeadline?: number;
  revealDeadline?: number;
  timeline: TimelineEntry[];
  bidBook: BidRow[];
  replicaRows: ReplicaRow[];
  settlement?: Settlement;
  /** The consensus result's CID (from the agreeing reveals), when there is one. */
  consensusCid?: string;
  chainTime: number;
};

export type ProviderRow = {
  address: Hex;
  peerId?: string;
  multiaddrs: string[];
  askPrice: string;
  stake: string;
  locked: string;
  score: number;
  awarded: number;
  agreed: number;
  dissented: number;
  missed: number;
  /** agreed / awarded, 0..1; undefined before the first settled replica. */
  agreementRate?: number;
  earned: string;
  slashed: string;
  bids: number;
  /** Median winning bid per 1e9 fuel, over jobs whose manifest the server read. */
  medianPricePerGfuel?: string;
  active: boolean;
  registeredAt: number;
};

export type ProviderJobRow = {
  jobId: string;
  time: number;
  price: string;
  outcome?: OutcomeName;
  paid?: string;
  slashed?: string;
  state: JobStateName;
};

export type ReputationPoint = { time: number; score: number; outcome: OutcomeName; jobId: string };

/** Token amounts per time bucket (lib/history.ts); `start` in unix seconds, `size` in seconds. */
export type EarningsBucket = { start: number; size: number; earned: string; slashed: string };
export type PriceBucket = { start: number; size: number; median: string; count: number };

export type ProviderDetail = ProviderRow & { history: ProviderJobRow[]; reputation: ReputationPoint[]; earningsHistory: EarningsBucket[] };

export type MarketStats = {
  head: number;
  chainTime: number;
  jobsTotal: number;
  openJobs: number;
  runningJobs: number;
  settledJobs: number;
  succeededJobs: number;
  jobsLastHour: number;
  totalPaid: string;
  totalFees: string;
  /** Token units per 1e9 fuel, median over awarded replicas with a known fuel limit. */
  medianPricePerGfuel?: string;
  activeProviders: number;
};

export type MarketSnapshot = {
  stats: MarketStats;
  open: JobSummary[];
  recent: JobSummary[];
  providers: ProviderRow[];
  /** Jobs posted per hour over the last 24 hours, oldest first. */
  jobsPerHour: { hourStart: number; posted: number; settled: number }[];
  /** Median winning price per 1e9 fuel per time bucket, by award time, buckets with no award left out. */
  priceHistory: PriceBucket[];
};

export type AccountSnapshot = {
  address: Hex;
  jobs: JobSummary[];
  /** Bags of tasks it ran (`accord run`), newest first. */
  runs: RunSummary[];
  spent: string;
  refunded: string;
  slashedToMe: string;
  provider?: ProviderDetail;
  withdrawable: string;
  balance: string;
  chainTime: number;
};

export type ApiError = { error: string; fix?: string; details?: string };

/**
 * A registered provider's own account of why it has not bid (`/accord/declines/1.0.0`), or why
 * it could not be asked: "unreachable" (no answer at its registered addresses), "silent" (its
 * node predates the protocol).
 */
export type ProviderAnswer = {
  provider: Hex;
  peerId: string;
  status: DeclineStatus | "unreachable" | "silent";
  reasons?: DeclineReason[];
  error?: string;
};
/** `open: false`: the job no longer takes bids, so nobody was asked. */
export type JobDeclines = { jobId: string; askedAt: number; open: boolean; answers: ProviderAnswer[] };

/** Where a search query leads: each page that matches, and why. */
export type SearchHit = { href: string; kind: "job" | "provider" | "account" | "run"; label: string; why: string };
export type SearchResult = { query: string; reading: string; hits: SearchHit[] };

/** One page of the jobs list (/jobs), newest first, with the filters it answers. */
export type JobsPage = {
  jobs: JobSummary[];
  total: number;
  page: number;
  pages: number;
  per: number;
  chainTime: number;
};

/** A job's place in a bag of tasks, from its manifest's nonce `accord-run/<runId>/<task>/<n>` (lib/runs.ts). */
export type RunTag = { runId: string; task: string; attempt: number };

/** What a cell of a run's grid says: the task's latest attempt, in the words a requester asks in. */
export type CellState = "waiting" | "running" | "verified" | "failed";

export type RunCounts = Record<CellState, number>;

/** GET /api/runs/<runId>: every task of a run as one cell. */
export type RunCell = {
  task: string;
  state: CellState;
  /** The latest attempt: its number (1 for the first post), job and the job's own state. */
  attempt: number;
  jobId: string;
  jobState: JobStateName;
  /** Attempts the chain has seen for this task. */
  attempts: number;
  /** The earlier attempts, oldest first. */
  earlier: { attempt: number; jobId: string; state: JobStateName }[];
  /** For a verified task: what the browser fetches and checks to open the result. */
  consensusCid?: string;
  settlementBlock?: number;
  agreeing: { provider: Hex; sealedResultCid: string }[];
};

export type RunDetail = {
  runId: string;
  requester: Hex;
  cells: RunCell[];
  counts: RunCounts;
  /** Token units gone for good: escrow net of refunds, over every settled attempt. */
  spent: string;
  /** Token units still in escrow for attempts not settled. */
  escrowed: string;
  jobs: number;
  firstPostedAt: number;
  /** Jobs carrying this run id that another account posted: left out, since anyone can write any nonce. */
  foreignJobs: number;
  chainTime: number;
};

export type RunSummary = { runId: string; tasks: number; counts: RunCounts; firstPostedAt: number; lastPostedAt: number };

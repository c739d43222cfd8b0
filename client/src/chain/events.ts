// The market's log, read one way: JobMarket events asked for in ranges public RPCs accept, decoded
// and typed from the generated ABI, followed without skipping a block, and a job's events in the
// form every reader of jobs (SDK, web indexer, provider, task runner) folds them in.
import { encodeEventTopics, numberToHex, pad, parseEventLogs, toEventSelector, type Address, type ContractEventArgs, type ContractEventName, type Hash, type Hex, type LogTopic, type ParseEventLogsReturnType, type PublicClient } from "viem";
import { hexToCid } from "../content/cid.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import { JOB_STATES, LOG_RANGE_BLOCKS, POLL_INTERVAL_MS, REPLICA_OUTCOMES, RPC_RETRY_MAX_MS, RPC_RETRY_MIN_MS, type JobStateName, type ReplicaOutcomeName } from "./constants.ts";
import { explainChainError } from "./revert.ts";

export type MarketEventName = ContractEventName<typeof jobMarketAbi>;
/** Resolves after `ms`, or at once when `signal` aborts (node:timers/promises would keep this module out of browsers). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => (clearTimeout(timer), signal?.removeEventListener("abort", done), resolve());
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** A JobMarket event (of the named kinds), decoded and typed from the generated ABI. */
export type MarketEvent<N extends MarketEventName = MarketEventName> = Extract<ParseEventLogsReturnType<typeof jobMarketAbi, MarketEventName, true>[number], { eventName: N }>;

const SELECTORS = new Map<MarketEventName, Hex>(jobMarketAbi.filter((x) => x.type === "event").map((e) => [e.name, toEventSelector(e)]));

export type GetMarketEventsParameters<N extends MarketEventName = MarketEventName> = {
  address: Address;
  fromBlock: bigint;
  toBlock: bigint;
  /** Only events of this job, filtered by the RPC (every job event indexes `jobId` first). */
  jobId?: bigint;
  signal?: AbortSignal;
} & (
  | {
      /** Only these events, filtered by the RPC (all of them when absent). */
      events?: readonly N[];
      args?: undefined;
    }
  | {
      events: readonly [N];
      /** Indexed arguments the event must carry, filtered by the RPC: `{ requester }` for JobPosted. */
      args: ContractEventArgs<typeof jobMarketAbi, N>;
    }
);

/** The topic filter asking the RPC for these events only. */
function topicsFor(p: GetMarketEventsParameters<MarketEventName>): LogTopic[] {
  if (p.args) return encodeEventTopics({ abi: jobMarketAbi, eventName: p.events[0], args: p.args });
  const names = p.events ? p.events.map((name) => SELECTORS.get(name)!) : null;
  return p.jobId === undefined ? [names] : [names, pad(numberToHex(p.jobId), { size: 32 })];
}

/**
 * JobMarket events in a block range, in chain order, asked for in ranges public RPCs accept
 * and filtered by the RPC on event kind, job id or indexed arguments. The one reader of the
 * market's log: everything that follows jobs or providers reads through it.
 */
export async function getMarketEvents<N extends MarketEventName = MarketEventName>(client: PublicClient, p: GetMarketEventsParameters<N>): Promise<MarketEvent<N>[]> {
  const topics = topicsFor(p as GetMarketEventsParameters<MarketEventName>);
  const wanted = (ev: MarketEvent): ev is MarketEvent<N> =>
    (!p.events || (p.events as readonly MarketEventName[]).includes(ev.eventName)) && (p.jobId === undefined || jobIdOf(ev) === p.jobId);
  const out: MarketEvent<N>[] = [];
  for (let from = p.fromBlock; from <= p.toBlock; from += LOG_RANGE_BLOCKS) {
    p.signal?.throwIfAborted();
    const to = from + LOG_RANGE_BLOCKS - 1n < p.toBlock ? from + LOG_RANGE_BLOCKS - 1n : p.toBlock;
    let logs;
    try {
      logs = await client.request({ method: "eth_getLogs", params: [{ address: p.address, topics, fromBlock: numberToHex(from), toBlock: numberToHex(to) }] });
    } catch (err) {
      throw explainChainError(`Reading JobMarket events in blocks ${from}..${to}`, err);
    }
    // strict: a log that does not decode is not the market's shape (no other contract logs at its address).
    for (const ev of parseEventLogs({ abi: jobMarketAbi, logs, strict: true })) if (wanted(ev)) out.push(ev);
  }
  return out;
}

/** The job an event is about, if it is a job event. */
export function jobIdOf(ev: MarketEvent): bigint | undefined {
  return "jobId" in ev.args ? ev.args.jobId : undefined;
}

export type FollowMarketEventsParameters<N extends MarketEventName = MarketEventName> = {
  address: Address;
  /** First block to read. */
  fromBlock: bigint;
  /** Blocks to stay behind the head, for chains that reorganise (0 on the local chain). */
  confirmations?: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
  /** Told about each RPC failure; the follower keeps retrying with back-off and never skips a block. */
  onRpcError?: (err: Error, retryInMs: number) => void;
  /** Back-off bounds while the RPC fails (RPC_RETRY_MIN_MS / RPC_RETRY_MAX_MS when absent). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Only these events (all of them when absent); ranges without them are still yielded. */
  events?: readonly N[];
};

/** A block range and its events; `head` is the chain's head (less confirmations) when the range was read. */
export type MarketEventBatch<N extends MarketEventName = MarketEventName> = { fromBlock: bigint; toBlock: bigint; head: bigint; events: MarketEvent<N>[] };

/**
 * Follows the JobMarket from `fromBlock` for as long as `signal` allows, yielding every block range
 * exactly once and in order (even ranges with no events, so callers can record the last block they
 * processed and resume after a restart). An RPC outage delays it; it never loses events.
 */
export async function* followMarketEvents<N extends MarketEventName = MarketEventName>(client: PublicClient, p: FollowMarketEventsParameters<N>): AsyncGenerator<MarketEventBatch<N>> {
  const poll = p.pollIntervalMs ?? POLL_INTERVAL_MS;
  const confirmations = BigInt(p.confirmations ?? 0);
  let next = p.fromBlock;
  const retryMinMs = p.retryMinMs ?? RPC_RETRY_MIN_MS;
  const retryMaxMs = p.retryMaxMs ?? RPC_RETRY_MAX_MS;
  let backoff = retryMinMs;
  while (!p.signal?.aborted) {
    let batch: MarketEventBatch<N> | undefined;
    try {
      const head = (await client.getBlockNumber({ cacheTime: 0 })) - confirmations;
      if (head >= next) {
        const to = head - next + 1n > LOG_RANGE_BLOCKS ? next + LOG_RANGE_BLOCKS - 1n : head;
        const events = await getMarketEvents<N>(client, { address: p.address, fromBlock: next, toBlock: to, events: p.events, signal: p.signal });
        batch = { fromBlock: next, toBlock: to, head, events };
      }
      backoff = retryMinMs;
    } catch (err) {
      if (p.signal?.aborted) return;
      p.onRpcError?.(err as Error, backoff);
      await sleep(backoff, p.signal);
      backoff = Math.min(backoff * 2, retryMaxMs);
      continue;
    }
    if (batch) {
      yield batch;
      next = batch.toBlock + 1n;
      if (batch.toBlock - batch.fromBlock + 1n === LOG_RANGE_BLOCKS) continue; // still catching up
    }
    await sleep(poll, p.signal);
  }
}

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
    /** The replicas were drawn at random by stake from a pool of `pool` bids (the others are displaced next). */
    | { type: "drawn"; seed: Hex; pool: number }
    | { type: "awarded"; winners: number; commitDeadline: bigint }
    /** The commitment itself is in the commit's calldata and `getReplicas` until the replica reveals. */
    | { type: "committed"; provider: Address }
    | { type: "revealOpened"; revealDeadline: bigint }
    | { type: "revealed"; provider: Address; resultCid: string; sealedResultCid: string }
    | { type: "replicaSettled"; provider: Address; outcome: ReplicaOutcomeName; paid: bigint; slashed: bigint }
    | { type: "settled"; state: JobStateName; resultDigest: Hex; paid: bigint; fee: bigint; refunded: bigint; slashed: bigint }
    /**
     * No digest had the quorum and the requester allowed more replicas: round `round` (1 for the first
     * escalation) takes bids for `extra` more from providers not yet in the job until `poolCloses`
     * (unix seconds), then awards and draws them as the first round (docs/PROTOCOL.md, "Escalation").
     */
    | { type: "escalated"; round: number; extra: number; poolCloses: bigint }
    /** Of an escalated job's slashed collateral, `amount` repaid the requester for the extra rounds (after `settled`). */
    | { type: "restituted"; requester: Address; amount: bigint }
  );

export type JobEventType = JobEvent["type"];
export type PostedJobEvent = Extract<JobEvent, { type: "posted" }>;

/**
 * A CID as the market's events carry it (binary CIDv1), as text. Bytes that are no CID stay
 * hex: a provider may reveal garbage as its sealed CID, and whoever reads the job should see it.
 */
export function cidText(hex: Hex): string {
  try {
    return hexToCid(hex).toString();
  } catch {
    return hex;
  }
}

/**
 * The two CIDs a `Revealed` log stands for, as binary CIDv1 hex. The market accepts only CIDv1 sha2-256
 * (raw or dag-pb), so it logs each as its digest and codec (`codecs` = the result's codec << 8 | the
 * sealed result's), three words instead of two `bytes`: `0x01 codec 0x12 0x20 digest` puts them back.
 */
export function revealedCids(args: { resultDigest: Hex; sealedResultDigest: Hex; codecs: number }): { resultCid: Hex; sealedResultCid: Hex } {
  const cid = (codec: number, digest: Hex): Hex => `0x01${codec.toString(16).padStart(2, "0")}1220${digest.slice(2)}`;
  return { resultCid: cid(args.codecs >> 8, args.resultDigest), sealedResultCid: cid(args.codecs & 0xff, args.sealedResultDigest) };
}

/** The job event a JobMarket log stands for; undefined for provider and owner events. */
export function toJobEvent(ev: MarketEvent): JobEvent | undefined {
  const where = (jobId: bigint): Where => ({ jobId, blockNumber: ev.blockNumber, transactionHash: ev.transactionHash, logIndex: ev.logIndex });
  switch (ev.eventName) {
    case "JobPosted": {
      const { jobId, manifestCid, ...terms } = ev.args;
      return { ...where(jobId), type: "posted", ...terms, manifestCid: cidText(manifestCid) };
    }
    case "BidPlaced": {
      const { jobId, ...bid } = ev.args;
      return { ...where(jobId), type: "bid", ...bid };
    }
    case "BidDisplaced": {
      const { jobId, ...bid } = ev.args;
      return { ...where(jobId), type: "bidDisplaced", ...bid };
    }
    case "ReplicasDrawn":
      return { ...where(ev.args.jobId), type: "drawn", seed: ev.args.seed, pool: ev.args.pool };
    case "JobAwarded":
      return { ...where(ev.args.jobId), type: "awarded", winners: ev.args.winners, commitDeadline: ev.args.commitDeadline };
    case "Committed":
      return { ...where(ev.args.jobId), type: "committed", provider: ev.args.provider };
    case "RevealOpened":
      return { ...where(ev.args.jobId), type: "revealOpened", revealDeadline: ev.args.revealDeadline };
    case "Revealed": {
      const { resultCid, sealedResultCid } = revealedCids(ev.args);
      return { ...where(ev.args.jobId), type: "revealed", provider: ev.args.provider, resultCid: cidText(resultCid), sealedResultCid: cidText(sealedResultCid) };
    }
    case "ReplicaSettled": {
      const { jobId, outcome, ...amounts } = ev.args;
      return { ...where(jobId), type: "replicaSettled", ...amounts, outcome: REPLICA_OUTCOMES[outcome] ?? "Unresolved" };
    }
    case "JobSettled": {
      const { jobId, state, ...amounts } = ev.args;
      return { ...where(jobId), type: "settled", ...amounts, state: JOB_STATES[state] ?? "None" };
    }
    case "JobEscalated": {
      const { jobId, ...round } = ev.args;
      return { ...where(jobId), type: "escalated", ...round };
    }
    case "Restituted": {
      const { jobId, ...restitution } = ev.args;
      return { ...where(jobId), type: "restituted", ...restitution };
    }
    default:
      return undefined;
  }
}

/** A job's JobPosted event, found by its indexed id (ids are never reissued); undefined if the market never posted it. */
export async function findJobPosted(
  client: PublicClient,
  p: { address: Address; jobId: bigint; fromBlock: bigint; toBlock?: bigint; signal?: AbortSignal },
): Promise<PostedJobEvent | undefined> {
  const toBlock = p.toBlock ?? (await client.getBlockNumber({ cacheTime: 0 }));
  const [ev] = await getMarketEvents(client, { address: p.address, fromBlock: p.fromBlock, toBlock, events: ["JobPosted"], jobId: p.jobId, signal: p.signal });
  const posted = ev ? toJobEvent(ev) : undefined;
  return posted?.type === "posted" ? posted : undefined;
}

// The harness of the job-step tests (steps.test.ts, evaluate.test.ts): a JobDriver over an in-memory
// market that answers the steps' three questions (job-chain.ts) from what each test sets and records
// every read and call, with every other part a test must not reach standing in as a trap.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { encodeAbiParameters, encodeEventTopics, parseEventLogs, type Address, type Hex } from "viem";
import { jobMarketAbi } from "@accord/client/abi";
import type { JobInfo, MarketEvent, ReplicaInfo } from "@accord/client/chain";
import { cidOfBytes, type ContentStore } from "@accord/client/content";
import type { SandboxPool } from "@accord/client/sandbox";
import type { CallOutcome, MarketCall } from "../chain/batcher.ts";
import { DEFAULT_PRICING, PROVIDER_LIMITS } from "../constants.ts";
import type { ProviderBehaviour } from "../behaviour.ts";
import { Journal } from "../journal/journal.ts";
import { createMetrics } from "../metrics/metrics.ts";
import { ChainClock } from "./chain-clock.ts";
import { JobDriver } from "./driver.ts";
import type { JobChain, NodeReads } from "./job-chain.ts";
import type { JobLog, LogPosition } from "./job-log.ts";

export const ME = "0x00000000000000000000000000000000000000aa" as Address;
export const OTHER = "0x00000000000000000000000000000000000000bb" as Address;
export const MARKET = "0x0000000000000000000000000000000000000001" as Address;
export const T0 = 1_900_000_000;
export const SALT = `0x${"22".repeat(32)}` as Hex;
export const COMMITMENT = `0x${"33".repeat(32)}` as Hex;
export const OTHERS_COMMITMENT = `0x${"44".repeat(32)}` as Hex;

/** More market calls than any test here makes: a step that loops (see MarketInMemory.call). */
const MAX_SENDS = 50;

/** The market as the steps see it: records set by the test, calls answered ok unless a refusal is queued. */
export class MarketInMemory implements JobChain {
  readonly jobs = new Map<bigint, JobInfo>();
  readonly rows = new Map<bigint, ReplicaInfo[]>();
  /** What the steps did, in order: "read job", "read replicas", "send <function>". */
  readonly seen: string[] = [];
  readonly sent: MarketCall[] = [];
  /** What each job's log tells a node that never saw its post (job-log.ts). */
  readonly logs = new Map<bigint, JobLog>();
  readonly logReadsAt: LogPosition[] = [];
  private readonly refusals: Array<{ functionName: string; error: string; err?: Error; then?: () => void }> = [];
  private readonly effects = new Map<string, () => void>();

  async job(jobId: bigint): Promise<JobInfo | undefined> {
    this.seen.push("read job");
    return this.jobs.get(jobId);
  }
  async replicas(jobId: bigint): Promise<ReplicaInfo[] | undefined> {
    this.seen.push("read replicas");
    return this.rows.get(jobId);
  }
  async log(jobId: bigint, at: LogPosition): Promise<JobLog | undefined> {
    this.seen.push("read log");
    this.logReadsAt.push(at);
    return this.logs.get(jobId);
  }
  async call(call: MarketCall): Promise<CallOutcome> {
    // A step that succeeds but changes nothing the next step reads (a test that set no effect for
    // the call) steps again at once, forever: fail by name instead of timing out in silence.
    if (this.sent.length >= MAX_SENDS) throw new Error(`the steps sent ${MAX_SENDS} market calls (${call.functionName} again): a call's effect is missing in the test, or a step loops`);
    this.seen.push(`send ${call.functionName}`);
    this.sent.push(call);
    const i = this.refusals.findIndex((r) => r.functionName === call.functionName);
    if (i >= 0) {
      const [r] = this.refusals.splice(i, 1);
      r!.then?.();
      return { ok: false, error: r!.error, err: r!.err ?? new Error(`${call.label}: ${r!.error}`) };
    }
    this.effects.get(call.functionName)?.();
    return { ok: true };
  }
  /** The next `functionName` call is refused with `error` (`err`: as the batcher reports a call mined and reverted; `then`: what the chain did instead). */
  refuseNext(functionName: MarketCall["functionName"], error: string, o: { err?: Error; then?: () => void } = {}): void {
    this.refusals.push({ functionName, error, ...o });
  }
  /** What the chain does when a `functionName` call succeeds. */
  onSuccess(functionName: MarketCall["functionName"], effect: () => void): void {
    this.effects.set(functionName, effect);
  }
}

export function jobInfo(jobId: bigint, o: Partial<JobInfo>): JobInfo {
  return {
    jobId, requester: OTHER, state: "Open", terminal: false, replicas: 2, quorum: 2, bids: 0, commits: 0, reveals: 0, awardOnFill: false, minReputation: 0,
    protocolFeeBps: 0, collateralRatioBps: 0, maxPrice: 10n, escrow: 20n, deadline: BigInt(T0 + 600), commitWindow: 600, revealWindow: 600,
    ...o,
  };
}

export function replica(provider: Address, o: Partial<ReplicaInfo> = {}): ReplicaInfo {
  return { provider, price: 5n, collateral: 0n, reputation: 0, committed: false, revealed: false, commitmentOrDigest: `0x${"00".repeat(32)}`, ...o };
}

/** A market event as the watcher hands it over: encoded with the contract's ABI and decoded again. */
export function marketEvent(eventName: "JobPosted" | "BidPlaced" | "JobAwarded" | "BidDisplaced" | "RevealOpened" | "JobEscalated", args: Record<string, unknown>): MarketEvent {
  const item = jobMarketAbi.find((x) => x.type === "event" && x.name === eventName)!;
  const inputs = (item as { inputs: readonly { name: string; type: string; indexed?: boolean }[] }).inputs.filter((i) => !i.indexed);
  const topics = encodeEventTopics({ abi: jobMarketAbi, eventName, args } as never);
  const data = encodeAbiParameters(inputs, inputs.map((i) => args[i.name]));
  const hash = `0x${"ab".repeat(32)}` as Hex;
  const logs = parseEventLogs({ abi: jobMarketAbi, logs: [{ address: MARKET, topics: topics as [Hex, ...Hex[]], data, blockNumber: 1n, blockHash: hash, transactionHash: hash, logIndex: 0, transactionIndex: 0, removed: false }] });
  if (logs.length !== 1) throw new Error(`${eventName} encoded into ${logs.length} market events, not one`);
  return logs[0] as unknown as MarketEvent;
}

/** Stands for a part these steps must not reach (the sandbox, the content store, the node's own reads): any use fails the test by name. */
export function unreachable<T>(what: string): T {
  return new Proxy({}, { get: (_t, key) => (key === "then" ? undefined : () => { throw new Error(`the step under test reached ${what}.${String(key)}`); }) }) as T;
}

const dirs: string[] = [];
const journals: Journal[] = [];
const drivers: JobDriver[] = [];
/** For afterEach: waits for the drives a test did not wait for, then closes the journals and removes the folders. */
export async function closeNodes(): Promise<void> {
  // A drive a test did not wait for (a timer's retry, a poke's follow-up) would touch the journal
  // after it closed, and fail in whichever test file the worker runs next.
  await Promise.all(drivers.splice(0).map((d) => d.idle()));
  for (const j of journals.splice(0)) j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function node(o: { me?: Address; behaviour?: ProviderBehaviour; reads?: NodeReads } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "accord-steps-"));
  dirs.push(dir);
  const journal = new Journal(join(dir, "journal.db"));
  journals.push(journal);
  const market = new MarketInMemory();
  const clock = new ChainClock();
  clock.observe(BigInt(T0));
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const metrics = createMetrics();
  const limits = { ...PROVIDER_LIMITS, claimGraceSeconds: 0, pushTurnSeconds: 30 };
  const driver = new JobDriver({
    jobChain: market,
    reads: o.reads ?? unreachable<NodeReads>("the node's own record"),
    journal,
    content: unreachable<ContentStore>("the content store"),
    pool: unreachable<SandboxPool>("the sandbox"),
    metrics,
    log,
    policy: { pricing: DEFAULT_PRICING, limits },
    limits,
    behaviour: o.behaviour,
    clock,
    signal: new AbortController().signal,
    me: o.me ?? ME,
    contentPeers: () => [],
  });
  drivers.push(driver);
  return { driver, journal, market, clock, lines, metrics, limits };
}

/** What a node journals once it ran a job and made its commitment (the result sealed, as an awarded run does). */
export async function ranJob() {
  return { manifestCid: (await cidOfBytes(new TextEncoder().encode("manifest"))).toString(), price: 5n, salt: SALT, commitment: COMMITMENT, resultCid: (await cidOfBytes(new TextEncoder().encode("result"))).toString(), sealedCid: (await cidOfBytes(new TextEncoder().encode("sealed"))).toString() };
}

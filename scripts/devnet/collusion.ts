// The collusion demo (issue #13, "How it is shown"): providers started with the `collude` fault
// reveal one wrong result together. The demo posts unanimous jobs that escalate on any dissent, up
// to a cap that always reaches more honest replicas than there are colluders, and reports what each
// job accepted (checked against a local dry run), who was slashed, and what the coalition gained.
// `npm start -- --fault 1=collude --fault 2=collude` runs it on the devnet; test/e2e/collusion.test.ts
// runs it on a chain of its own.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createPublicClient, erc20Abi, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { createAccordClient, type AccordClient } from "../../client/src/index.ts";
import { dryRun, getJob, JobNotSucceededError, submitJob, waitForResult, type GetJobReturnType } from "../../client/src/actions/index.ts";
import { cidDigest } from "../../client/src/content/index.ts";
import { jobMarketAbi } from "../../client/src/generated/abi.ts";
import type { Deployment } from "../../client/src/deployments.ts";
import { generateResultKey } from "../../client/src/seal/index.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const ECHO_WASM = join(ROOT, "client", "fixtures", "wasm", "echo.wasm");
const LIMITS = { fuel: 50_000_000, memoryPages: 64, wallClockMs: 10_000 };
/** Most replicas any job may have (the contract's MAX_REPLICAS). */
const MAX_REPLICAS = 16;
/** Replicas of a first round when there are few colluders: the k of the example. */
const LEAST_REPLICAS = 3;
export const DEMO_JOBS = 4;
/** Give up on a job after this long: an escalation round waits for its pool to fill, which a loaded machine slows. */
const JOB_TIMEOUT_MS = 600_000;

/**
 * Flags a colluding daemon starts with: it asks 1 token unit whatever the job, so its price never
 * keeps it out of a pool and it bids on every job its stake covers. Lying costs it nothing to run
 * (the honest run is all it does), so a real colluder would bid on everything it can.
 */
export const COLLUDER_PRICE_ARGS = ["--price-per-giga-fuel", "0", "--price-per-memory-mib", "0", "--price-per-input-mib", "0", "--min-price", "1"];

export type CollusionPlan = { replicas: number; quorum: number; maxReplicas: number };

export class CollusionPlanError extends Error {
  override name = "CollusionPlanError";
}

/**
 * The demo's job for `colluders` providers colluding among others staked alike. Unanimous, so any
 * colluder drawn dissents and the job escalates rather than settling; more replicas than
 * colluders, so they can never fill a round by themselves; and a cap of colluders + replicas, so
 * even if every colluder is drawn, the honest replicas reach the quorum and outnumber them.
 */
export function collusionJob(colluders: number): CollusionPlan {
  const replicas = Math.max(LEAST_REPLICAS, colluders + 1);
  const maxReplicas = colluders + replicas;
  if (maxReplicas > MAX_REPLICAS) {
    throw new CollusionPlanError(`${colluders} colluders are too many for one job (at most ${MAX_REPLICAS} replicas); collude with at most ${Math.floor((MAX_REPLICAS - 1) / 2)}.`);
  }
  return { replicas, quorum: replicas, maxReplicas };
}

/** collusionJob, when `providers` in all can fill its cap; otherwise throws, saying how many to run. */
export function collusionPlan(providers: number, colluders: number): CollusionPlan {
  const plan = collusionJob(colluders);
  if (providers < plan.maxReplicas) {
    const s = colluders === 1 ? "" : "s";
    throw new CollusionPlanError(
      `${colluders} colluding provider${s} need${s ? "" : "s"} ${plan.replicas} honest ones to be outvoted on a unanimous ${plan.replicas}-replica job, ` +
        `so ${plan.maxReplicas} providers in all, not ${providers}: pass --providers ${plan.maxReplicas}${plan.maxReplicas > 8 ? " (the devnet runs at most 8: use fewer colluders)" : ""}.`,
    );
  }
  return plan;
}

export type DemoProvider = { index: number; address: Address; colluding: boolean };

/** Token units an account holds, in the market and out: a slash takes from stake, a payment adds to withdrawable or wallet. */
export type Holdings = { stake: bigint; withdrawable: bigint; wallet: bigint };
export const totalOf = (h: Holdings) => h.stake + h.withdrawable + h.wallet;

export type DemoJob = {
  jobId: bigint;
  state: string;
  /** The consensus CID's digest, when a result was accepted. */
  acceptedDigest?: Hex;
  /** The dry run's result CID, what an honest provider reveals. */
  expectedCid: string;
  /** Whether the accepted result is the dry run's; undefined when none was accepted. */
  correct?: boolean;
  /** The accepted result's standard output, fetched from a provider and checked against the consensus. */
  stdout?: string;
  /** Why the accepted result could not be fetched, if it could not. */
  fetchError?: string;
  escalations: number;
  replicas: number;
  outcomes: GetJobReturnType["outcomes"];
  escrow: bigint;
  paid: bigint;
  fee: bigint;
  /** What the requester got back: the unspent escrow and the restitution out of slashed collateral. */
  refunded: bigint;
  restitution: bigint;
  slashed: bigint;
};

export type TokenUnits = { decimals: number; symbol: string };

export type CollusionDemoResult = TokenUnits & {
  plan: CollusionPlan;
  jobs: DemoJob[];
  colluders: { before: Holdings; after: Holdings };
  honest: { before: Holdings; after: Holdings };
};

export type CollusionDemoParameters = {
  rpcUrl: string;
  deployment: Deployment;
  /** The requester that posts and pays for the demo jobs. */
  requesterKey: Hex;
  providers: readonly DemoProvider[];
  /** The requester's content node keeps its data here. */
  dataDir: string;
  jobs?: number;
  /** Most paid a replica, in token units (default half a token). */
  maxPrice?: bigint;
  /** Each job as it reaches a terminal state, with the token's units to show its amounts in. */
  onSettled?: (job: DemoJob, units: TokenUnits) => void;
  log?: (line: string) => void;
  signal?: AbortSignal;
};

export async function holdingsOf(client: PublicClient, d: Deployment, addresses: readonly Address[], blockNumber: bigint): Promise<Holdings> {
  const each = await Promise.all(
    addresses.map(async (address) => {
      const [provider, withdrawable, wallet] = await Promise.all([
        client.readContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "getProvider", args: [address], blockNumber }) as Promise<{ stake: bigint; unbonding: bigint }>,
        client.readContract({ address: d.jobMarket, abi: jobMarketAbi, functionName: "withdrawable", args: [address], blockNumber }) as Promise<bigint>,
        client.readContract({ address: d.token, abi: erc20Abi, functionName: "balanceOf", args: [address], blockNumber }),
      ]);
      return { stake: BigInt(provider.stake) + BigInt(provider.unbonding), withdrawable, wallet };
    }),
  );
  return each.reduce((a, h) => ({ stake: a.stake + h.stake, withdrawable: a.withdrawable + h.withdrawable, wallet: a.wallet + h.wallet }), { stake: 0n, withdrawable: 0n, wallet: 0n });
}

/** Posts the demo jobs, waits for each to end, and returns what became of them and of everyone's tokens. */
export async function runCollusionDemo(p: CollusionDemoParameters): Promise<CollusionDemoResult> {
  const log = p.log ?? (() => {});
  const colluders = p.providers.filter((x) => x.colluding).map((x) => x.address);
  const honest = p.providers.filter((x) => !x.colluding).map((x) => x.address);
  if (colluders.length === 0) throw new CollusionPlanError("no provider colludes: start some with --fault I=collude.");
  const plan = collusionPlan(p.providers.length, colluders.length);
  const publicClient = createPublicClient({ chain: hardhat, transport: http(p.rpcUrl), pollingInterval: 100 }) as PublicClient;
  const [decimals, symbol] = await Promise.all([
    publicClient.readContract({ address: p.deployment.token, abi: erc20Abi, functionName: "decimals" }),
    publicClient.readContract({ address: p.deployment.token, abi: erc20Abi, functionName: "symbol" }),
  ]);
  const maxPrice = p.maxPrice ?? 10n ** BigInt(decimals) / 2n;
  const client = createAccordClient({
    chain: hardhat,
    transport: http(p.rpcUrl),
    account: privateKeyToAccount(p.requesterKey),
    deployment: p.deployment,
    node: { dataDir: p.dataDir },
    resultKey: generateResultKey(),
    pollingIntervalMs: 100,
  });
  try {
    const start = await publicClient.getBlockNumber({ cacheTime: 0 });
    const before = { colluders: await holdingsOf(publicClient, p.deployment, colluders, start), honest: await holdingsOf(publicClient, p.deployment, honest, start) };
    const module = new Uint8Array(await readFile(ECHO_WASM));
    const count = p.jobs ?? DEMO_JOBS;
    log(`posting ${count} jobs: ${plan.replicas} replicas that must all agree, escalating to at most ${plan.maxReplicas} on any dissent`);
    const posted: { jobId: bigint; blockNumber: bigint; expectedCid: string }[] = [];
    for (let i = 1; i <= count; i++) {
      const spec = { module, stdin: new TextEncoder().encode(`collusion demo, job ${i} of ${count}: the honest answer\n`), limits: LIMITS };
      const dry = await dryRun(client, spec);
      const job = await submitJob(client, { ...spec, ...plan, maxPrice, signal: p.signal });
      posted.push({ jobId: job.jobId, blockNumber: job.blockNumber, expectedCid: dry.resultCid.toString() });
    }
    const jobs = await Promise.all(
      posted.map(async (j) => {
        const job = await settle(client, j, p.signal);
        p.onSettled?.(job, { decimals, symbol });
        return job;
      }),
    );
    const end = await publicClient.getBlockNumber({ cacheTime: 0 });
    const after = { colluders: await holdingsOf(publicClient, p.deployment, colluders, end), honest: await holdingsOf(publicClient, p.deployment, honest, end) };
    return { plan, jobs, colluders: { before: before.colluders, after: after.colluders }, honest: { before: before.honest, after: after.honest }, decimals, symbol };
  } finally {
    await client.close();
  }
}

/** Waits for the job to end and reads its story; a result accepted is fetched and checked as any requester's would be. */
async function settle(client: AccordClient, j: { jobId: bigint; blockNumber: bigint; expectedCid: string }, signal?: AbortSignal): Promise<DemoJob> {
  let stdout: string | undefined;
  let fetchError: string | undefined;
  let waitError: unknown;
  try {
    const r = await waitForResult(client, { jobId: j.jobId, fromBlock: j.blockNumber, timeoutMs: JOB_TIMEOUT_MS, declines: false, signal });
    stdout = new TextDecoder().decode(r.stdout);
  } catch (err) {
    signal?.throwIfAborted();
    // A job that ended without a result is part of the story; one whose result could not be
    // fetched still has its settlement to tell, and the reason is shown beside it.
    if (!(err instanceof JobNotSucceededError)) {
      waitError = err;
      fetchError = (err as { shortMessage?: string }).shortMessage ?? (err as Error).message;
    }
  }
  const h = await getJob(client, { jobId: j.jobId, signal });
  const s = h.settlement;
  if (!s) throw waitError ?? new Error(`job ${j.jobId} is ${h.state}, not settled, though waiting for it ended`);
  const accepted = s.state === "Succeeded" ? s.resultDigest : undefined;
  return {
    jobId: j.jobId,
    state: s.state,
    acceptedDigest: accepted,
    expectedCid: j.expectedCid,
    correct: accepted === undefined ? undefined : accepted.toLowerCase() === cidDigest(j.expectedCid).toLowerCase(),
    stdout,
    fetchError,
    escalations: h.rounds.length,
    replicas: h.awarded.length,
    outcomes: h.outcomes,
    escrow: h.escrow,
    paid: s.paid,
    fee: s.fee,
    refunded: s.refunded,
    restitution: h.restitution,
    slashed: s.slashed,
  };
}

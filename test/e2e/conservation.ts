// Token conservation on a live market, checked from the chain alone, for every end-to-end test:
//  - supply: the token balances of every party (dev accounts, treasury, everyone the market's
//    events name) plus the JobMarket's own balance add up to what was minted, so no token left
//    for an address nobody knows about;
//  - market: the JobMarket holds exactly escrow of live jobs + stakes (incl. unbonding) +
//    withdrawable credits, and the stake locked across providers is exactly the collateral of
//    live bids and replicas;
//  - past every deadline (time travel + claim), every job is terminal, nothing stays locked,
//    and everyone can take out what is theirs.
// The contract asserts `paid + fee + refunded == escrow` per settlement; this checks what no
// single transaction can see: the sum over all jobs, accounts and providers.
import {
  BaseError as ViemBaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  erc20Abi,
  http,
  zeroAddress,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { jobMarketAbi } from "../../client/src/generated/abi.ts";
import { getMarketEvents, JOB_STATES, TERMINAL_STATES, type JobStateName } from "../../client/src/chain/index.ts";
import type { Deployment } from "../../client/src/deployments.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";

export type JobLedger = { jobId: bigint; state: JobStateName | "Reused"; escrow: bigint; collateral: bigint; deadline: bigint };
export type ProviderLedger = { address: Address; stake: bigint; locked: bigint; unbonding: bigint };

export type Ledger = {
  block: bigint;
  totalSupply: bigint;
  /** Wallet balances of every party (not the market). */
  balances: Map<Address, bigint>;
  marketBalance: bigint;
  jobs: JobLedger[];
  providers: ProviderLedger[];
  /** `withdrawable(account)` of every party with something credited. */
  credits: Map<Address, bigint>;
  sums: { wallets: bigint; escrow: bigint; stake: bigint; unbonding: bigint; locked: bigint; collateral: bigint; credits: bigint };
};

export class ConservationError extends Error {
  override name = "ConservationError";
}

type Ctx = { client: PublicClient; deployment: Deployment };

const lower = (a: string) => a.toLowerCase() as Address;

/** Reads the whole ledger at one block, so daemons sending transactions meanwhile cannot skew the sums. */
export async function readLedger({ client, deployment }: Ctx): Promise<Ledger> {
  const block = await client.getBlockNumber({ cacheTime: 0 });
  const market = deployment.jobMarket;
  const read = <T>(functionName: string, args: readonly unknown[]) =>
    client.readContract({ address: market, abi: jobMarketAbi, functionName: functionName as never, args: args as never, blockNumber: block }) as Promise<T>;
  const events = await getMarketEvents(client, { address: market, fromBlock: BigInt(deployment.startBlock), toBlock: block });

  const treasury = ((await read<{ treasury: Address }>("parameters", [])).treasury);
  const parties = new Set<Address>([...DEV_ACCOUNTS.map((a) => lower(a.address)), lower(treasury)]);
  const providerSet = new Set<Address>();
  const jobIds: bigint[] = [];
  for (const ev of events) {
    const args = ev.args as Record<string, unknown>;
    for (const key of ["requester", "provider", "account"]) if (typeof args[key] === "string") parties.add(lower(args[key] as string));
    if (ev.eventName === "ProviderRegistered") providerSet.add(lower(args.provider as string));
    if (ev.eventName === "JobPosted") jobIds.push(args.jobId as bigint);
  }

  const balanceOf = (a: Address) => client.readContract({ address: deployment.token, abi: erc20Abi, functionName: "balanceOf", args: [a], blockNumber: block });
  const [totalSupply, marketBalance] = await Promise.all([
    client.readContract({ address: deployment.token, abi: erc20Abi, functionName: "totalSupply", blockNumber: block }),
    balanceOf(market),
  ]);
  const partyList = [...parties].filter((a) => a !== lower(market) && a !== zeroAddress);
  const balances = new Map<Address, bigint>();
  const credits = new Map<Address, bigint>();
  await Promise.all(
    partyList.map(async (a) => {
      const [balance, credit] = await Promise.all([balanceOf(a), read<bigint>("withdrawable", [a])]);
      balances.set(a, balance);
      if (credit > 0n) credits.set(a, credit);
    }),
  );

  const providers = await Promise.all(
    [...providerSet].map(async (address) => {
      const v = await read<{ stake: bigint; locked: bigint; unbonding: bigint }>("getProvider", [address]);
      return { address, stake: BigInt(v.stake), locked: BigInt(v.locked), unbonding: BigInt(v.unbonding) };
    }),
  );

  const jobs = await Promise.all(
    jobIds.map(async (jobId): Promise<JobLedger> => {
      let view: { state: number; deadline: bigint | number };
      try {
        view = await read("getJob", [jobId]);
      } catch (err) {
        // A record is reused only once its job is terminal (docs/PROTOCOL.md, "Storage and ids").
        if (revertName(err) === "JobNotFound") return { jobId, state: "Reused", escrow: 0n, collateral: 0n, deadline: 0n };
        throw err;
      }
      const state = JOB_STATES[Number(view.state)] ?? "None";
      const [escrow, replicas] = await Promise.all([read<bigint>("escrowOf", [jobId]), TERMINAL_STATES.has(state) ? [] : read<ReadonlyArray<{ collateral: bigint }>>("getReplicas", [jobId])]);
      return { jobId, state, escrow, collateral: replicas.reduce((n, r) => n + BigInt(r.collateral), 0n), deadline: BigInt(view.deadline) };
    }),
  );

  const sum = (xs: Iterable<bigint>) => [...xs].reduce((a, b) => a + b, 0n);
  return {
    block,
    totalSupply,
    balances,
    marketBalance,
    jobs,
    providers,
    credits,
    sums: {
      wallets: sum(balances.values()),
      escrow: sum(jobs.map((j) => j.escrow)),
      stake: sum(providers.map((p) => p.stake)),
      unbonding: sum(providers.map((p) => p.unbonding)),
      locked: sum(providers.map((p) => p.locked)),
      collateral: sum(jobs.map((j) => j.collateral)),
      credits: sum(credits.values()),
    },
  };
}

const isTerminal = (j: JobLedger) => j.state === "Reused" || TERMINAL_STATES.has(j.state as JobStateName);

/** Throws a ConservationError naming every identity that does not hold, with the figures. */
export function assertConserved(l: Ledger): void {
  const s = l.sums;
  const problems: string[] = [];
  if (s.wallets + l.marketBalance !== l.totalSupply)
    problems.push(`supply: wallets ${s.wallets} + market ${l.marketBalance} = ${s.wallets + l.marketBalance}, but ${l.totalSupply} were minted (${l.totalSupply - s.wallets - l.marketBalance} unaccounted for)`);
  const owed = s.escrow + s.stake + s.unbonding + s.credits;
  if (owed !== l.marketBalance)
    problems.push(`market: holds ${l.marketBalance} but owes ${owed} (escrow ${s.escrow} + stake ${s.stake} + unbonding ${s.unbonding} + credits ${s.credits})`);
  if (s.locked !== s.collateral) problems.push(`collateral: providers have ${s.locked} locked, but live bids and replicas hold ${s.collateral}`);
  for (const p of l.providers) if (p.locked > p.stake) problems.push(`provider ${p.address}: locked ${p.locked} exceeds stake ${p.stake}`);
  for (const j of l.jobs) if (isTerminal(j) && (j.escrow !== 0n || j.collateral !== 0n)) problems.push(`job ${j.jobId} is ${j.state} yet holds escrow ${j.escrow}`);
  if (problems.length) throw new ConservationError(`token conservation broken at block ${l.block}:\n  ${problems.join("\n  ")}`);
}

/** Reads the ledger and asserts conservation; returns the ledger for scenario-specific checks. */
export async function checkConservation(ctx: Ctx): Promise<Ledger> {
  const ledger = await readLedger(ctx);
  assertConserved(ledger);
  return ledger;
}

const MAX_SETTLE_ROUNDS = 6;

/**
 * Moves the chain's clock past every live job's deadline and claims each one until all are
 * terminal (a claim may open the next phase with a fresh deadline, hence the rounds). Then
 * asserts conservation, that no stake is locked, and that every party could withdraw all it is
 * owed and every provider unstake all it has (simulated, so provider daemons' nonces are left
 * alone). Use it once a scenario's own jobs have reached the state the scenario is about.
 */
export async function settleEverything(ctx: Ctx & { rpcUrl: string }): Promise<Ledger> {
  const caller = walletFor(ctx.rpcUrl, DEV_ACCOUNTS[DEV_ROLES.deployer]!.address);
  for (let round = 0; ; round++) {
    const ledger = await readLedger(ctx);
    assertConserved(ledger);
    const live = ledger.jobs.filter((j) => !isTerminal(j));
    if (live.length === 0) break;
    if (round === MAX_SETTLE_ROUNDS) throw new ConservationError(`after ${round} rounds of claims, jobs are still live: ${live.map((j) => `${j.jobId} (${j.state})`).join(", ")}`);
    const now = (await ctx.client.getBlock({ blockTag: "latest" })).timestamp;
    const latest = live.reduce((m, j) => (j.deadline > m ? j.deadline : m), 0n);
    if (latest >= now) await increaseTime(ctx.client, Number(latest - now) + 1);
    for (const j of live) {
      try {
        const hash = await caller.writeContract({ address: ctx.deployment.jobMarket, abi: jobMarketAbi, functionName: "claim", args: [j.jobId] });
        await ctx.client.waitForTransactionReceipt({ hash });
      } catch (err) {
        // Daemons and requesters claim too; losing that race is fine, the next round re-reads.
        if (!["JobTerminal", "WrongJobState", "DeadlineNotReached", "JobNotFound"].includes(revertName(err) ?? "")) throw err;
      }
    }
  }
  const ledger = await readLedger(ctx);
  assertConserved(ledger);
  const problems: string[] = [];
  if (ledger.sums.escrow !== 0n) problems.push(`escrow ${ledger.sums.escrow} still held with every job terminal`);
  for (const p of ledger.providers) if (p.locked !== 0n) problems.push(`provider ${p.address} still has ${p.locked} locked`);
  await Promise.all([
    ...[...ledger.credits].map(async ([account, amount]) => {
      const got = await simulate(ctx, account, "withdraw", []);
      if (got !== amount) problems.push(`${account} is owed ${amount} but withdraw() would pay ${got}`);
    }),
    ...ledger.providers
      .filter((p) => p.stake > 0n)
      .map(async (p) => {
        await simulate(ctx, p.address, "requestUnstake", [p.stake]).catch((err) => problems.push(`${p.address} cannot unstake its ${p.stake}: ${revertName(err) ?? err}`));
      }),
  ]);
  if (problems.length) throw new ConservationError(`past every deadline, something is still locked:\n  ${problems.join("\n  ")}`);
  return ledger;
}

/**
 * The end of a test file, once every daemon is stopped: every party withdraws its credits and
 * every provider unstakes and takes its stake out (time travel past the unbonding delay). The
 * market must then hold nothing, and the wallets all that was minted.
 */
export async function drainMarket(ctx: Ctx & { rpcUrl: string }): Promise<Ledger> {
  const before = await settleEverything(ctx);
  const market = ctx.deployment.jobMarket;
  const send = async (account: Address, functionName: "withdraw" | "requestUnstake" | "withdrawUnstaked", args: readonly unknown[]) => {
    const hash = await walletFor(ctx.rpcUrl, account).writeContract({ address: market, abi: jobMarketAbi, functionName, args: args as never });
    const receipt = await ctx.client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new ConservationError(`${functionName} by ${account} reverted (${hash})`);
  };
  for (const [account] of before.credits) await send(account, "withdraw", []);
  const staked = before.providers.filter((p) => p.stake > 0n);
  for (const p of staked) await send(p.address, "requestUnstake", [p.stake]);
  const delay = Number(((await ctx.client.readContract({ address: market, abi: jobMarketAbi, functionName: "parameters" })) as { unbondingDelay: number }).unbondingDelay);
  await increaseTime(ctx.client, delay + 1);
  for (const p of before.providers) if (p.stake + p.unbonding > 0n) await send(p.address, "withdrawUnstaked", []);

  const after = await readLedger(ctx);
  assertConserved(after);
  if (after.marketBalance !== 0n || after.sums.wallets !== after.totalSupply)
    throw new ConservationError(`after everyone withdrew, the market still holds ${after.marketBalance} and wallets ${after.sums.wallets} of ${after.totalSupply}`);
  return after;
}

/** The custom error name a call reverted with, if it was a JobMarket revert. */
export function revertName(err: unknown): string | undefined {
  if (!(err instanceof ViemBaseError)) return undefined;
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  return revert?.data?.errorName;
}

async function simulate(ctx: Ctx, account: Address, functionName: "withdraw" | "requestUnstake", args: readonly unknown[]): Promise<unknown> {
  const { result } = await ctx.client.simulateContract({ account, address: ctx.deployment.jobMarket, abi: jobMarketAbi, functionName, args: args as never });
  return result;
}

function walletFor(rpcUrl: string, address: Address) {
  const key = DEV_ACCOUNTS.find((a) => lower(a.address) === lower(address))?.privateKey as Hex | undefined;
  if (!key) throw new ConservationError(`${address} is owed tokens but is not a dev account this test can sign for`);
  return createWalletClient({ chain: hardhat, transport: http(rpcUrl), account: privateKeyToAccount(key) });
}

async function increaseTime(client: PublicClient, seconds: number): Promise<void> {
  await client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });
}

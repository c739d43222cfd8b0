// Shared by the contract tests and scripts/bench/gas.ts: deploys a token and a JobMarket on
// Hardhat's in-process network and drives the lifecycle with real transactions.
import { network } from "hardhat";
import { jobMarketAbi, reentrantTokenAbi, testTokenAbi } from "../../client/src/generated/abi.ts";
import {
  type Abi,
  ContractFunctionRevertedError,
  getContract,
  decodeErrorResult,
  getAddress,
  concat,
  encodeAbiParameters,
  keccak256,
  parseUnits,
  sha256,
  toHex,
  type Address,
  type Hex,
} from "viem";

/** The well-known Hardhat dev accounts: 0 owner, 1 treasury, 2..4 requesters, 5..14 providers. */
export const ROLE = { owner: 0, treasury: 1, requester: 2, provider: 5 } as const;

export const DEFAULT_WINDOW_SECONDS = 3600;
export const FILL_TIMEOUT_SECONDS = 1800;
export const UNBONDING_DELAY_SECONDS = 86_400;
export const COLLATERAL_RATIO_BPS = 10_000;

/** A binary CIDv1 (raw codec unless `dagPb`) whose sha2-256 digest is that of `text`. */
export function cidOf(text: string, dagPb = false): { cid: Hex; digest: Hex } {
  const digest = sha256(toHex(text));
  return { cid: concat([dagPb ? "0x01701220" : "0x01551220", digest]), digest };
}

export function commitmentOf(jobId: bigint, provider: Address, digest: Hex, salt: Hex): Hex {
  return keccak256(
    encodeAbiParameters([{ type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }], [jobId, provider, digest, salt]),
  );
}

export function saltOf(label: string): Hex {
  return keccak256(toHex(`salt:${label}`));
}

const ERROR_ABI = [...jobMarketAbi, ...testTokenAbi, ...reentrantTokenAbi].filter((x) => x.type === "error");

/** Finds the revert data anywhere in a viem/Hardhat error chain. */
function revertData(err: unknown): Hex | undefined {
  for (let e: any = err, depth = 0; e && depth < 10; e = e.cause, depth++) {
    if (e instanceof ContractFunctionRevertedError && e.raw) return e.raw;
    const data = e.data?.data ?? e.data;
    if (typeof data === "string" && data.startsWith("0x")) return data as Hex;
  }
  return undefined;
}

/** The custom error a failed call reverted with, as `{ name, args }`; rethrows anything else. */
export async function revertOf(call: Promise<unknown>): Promise<{ name: string; args: readonly unknown[] }> {
  try {
    await call;
  } catch (err) {
    const data = revertData(err);
    if (data && data.length >= 10) {
      const decoded = decodeErrorResult({ abi: ERROR_ABI, data });
      return { name: decoded.errorName, args: decoded.args ?? [] };
    }
    throw err;
  }
  throw new Error("expected the call to revert, but it succeeded");
}

export type Deployed = Awaited<ReturnType<typeof deployMarket>>;

/** Deploys a TestToken with `decimals` and a JobMarket on a fresh in-process chain. */
export async function deployMarket(opts: { decimals?: number; feeBps?: number; minStake?: bigint; poolWindow?: number; seedDelay?: number } = {}) {
  const decimals = opts.decimals ?? 18;
  const conn = await network.create();
  const { viem, networkHelpers } = conn;
  const wallets = await viem.getWalletClients();
  const publicClient = await viem.getPublicClient();
  const unit = parseUnits("1", decimals);
  // Deployed by name, then bound to the generated ABIs so every call is typed without artifacts.
  const client = { public: publicClient, wallet: wallets[ROLE.owner] };
  const at = <const A extends Abi>(address: Address, abi: A) => getContract({ address, abi, client });
  const token = at((await viem.deployContract("TestToken", ["Accord Test", "ACT", decimals, wallets[ROLE.owner].account.address])).address, testTokenAbi);
  const params = {
    minStake: opts.minStake ?? 10n * unit,
    unbondingDelay: UNBONDING_DELAY_SECONDS,
    protocolFeeBps: opts.feeBps ?? 100,
    collateralRatioBps: COLLATERAL_RATIO_BPS,
    fillTimeout: FILL_TIMEOUT_SECONDS,
    treasury: getAddress(wallets[ROLE.treasury].account.address),
    // First come, first awarded, unless a test asks for a pool: the rules these tests check are the
    // same either way, and the draw has its own tests (selection.test.ts).
    poolWindow: opts.poolWindow ?? 0,
    seedDelay: opts.seedDelay ?? 0,
  };
  const market = at((await viem.deployContract("JobMarket", [token.address, wallets[ROLE.owner].account.address, params])).address, jobMarketAbi);
  // Checksummed, so addresses compare equal to what events and errors decode to.
  const account = (i: number) => ({ ...wallets[i].account, address: getAddress(wallets[i].account.address) });
  const requesters = [2, 3, 4].map(account);
  const providers = Array.from({ length: 10 }, (_, i) => account(ROLE.provider + i));

  async function fund(account: Address, amount: bigint) {
    await token.write.mint([account, amount]);
  }

  async function registerAndStake(i: number, amount = 1_000n * unit) {
    const account = providers[i];
    await fund(account.address, amount);
    await token.write.approve([market.address, amount], { account });
    await market.write.registerProvider([toHex(`peer-${i}`), [`/ip4/127.0.0.1/tcp/${4000 + i}`], 5n], { account });
    await market.write.stake([amount], { account });
  }

  function jobParams(p: Partial<JobParamsInput> = {}): JobParamsInput {
    return {
      manifestCid: cidOf("manifest").cid,
      replicas: 3,
      quorum: 2,
      maxReplicas: 0,
      maxPrice: 10n * unit,
      bidWindow: 0,
      commitWindow: DEFAULT_WINDOW_SECONDS,
      revealWindow: DEFAULT_WINDOW_SECONDS,
      minReputation: 0,
      ...p,
    };
  }

  /** Posts a job from requester `r` (approving exactly the escrow) and returns its id. */
  async function post(p: Partial<JobParamsInput> = {}, r = 0): Promise<bigint> {
    const account = requesters[r];
    const params = jobParams(p);
    const feeBps = BigInt((await market.read.parameters()).protocolFeeBps);
    const gross = BigInt(params.maxReplicas || params.replicas) * params.maxPrice;
    const escrow = gross + (gross * feeBps) / 10_000n;
    await fund(account.address, escrow);
    await token.write.approve([market.address, escrow], { account });
    const hash = await market.write.postJob([params], { account });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const logs = await publicClient.getContractEvents({ address: market.address, abi: market.abi, eventName: "JobPosted", fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber });
    return logs[0].args.jobId!;
  }

  async function bid(jobId: bigint, i: number, price: bigint) {
    return market.write.bid([jobId, price], { account: providers[i] });
  }

  /** Provider i's commitment to `result` for the job (salt fixed per job and provider, as `reveal` expects). */
  function commitmentFor(jobId: bigint, i: number, result = "result"): Hex {
    return commitmentOf(jobId, providers[i].address, cidOf(result).digest, saltOf(`${jobId}:${i}`));
  }

  /** A bid from provider i that carries its commitment to `result` (the one-transaction fast path). */
  async function bidAndCommit(jobId: bigint, i: number, price: bigint, result = "result") {
    return market.write.bidAndCommit([jobId, price, commitmentFor(jobId, i, result)], { account: providers[i] });
  }

  async function commit(jobId: bigint, i: number, result = "result") {
    const { digest } = cidOf(result);
    return market.write.commit([jobId, commitmentOf(jobId, providers[i].address, digest, saltOf(`${jobId}:${i}`))], { account: providers[i] });
  }

  async function reveal(jobId: bigint, i: number, result = "result") {
    return market.write.reveal([jobId, cidOf(result).cid, saltOf(`${jobId}:${i}`), cidOf(`sealed:${result}:${i}`, true).cid], { account: providers[i] });
  }

  async function gasOf(hash: Hex): Promise<bigint> {
    return (await publicClient.waitForTransactionReceipt({ hash })).gasUsed;
  }

  return {
    conn, viem, networkHelpers, publicClient, wallets, token, market, unit, decimals, params,
    requesters, providers, owner: account(ROLE.owner), treasury: account(ROLE.treasury), at,
    fund, registerAndStake, jobParams, post, bid, bidAndCommit, commitmentFor, commit, reveal, gasOf,
  };
}

export type JobParamsInput = {
  manifestCid: Hex;
  replicas: number;
  quorum: number;
  /** The cap escalation may bring the replicas to; 0 is k (never escalates). */
  maxReplicas: number;
  maxPrice: bigint;
  bidWindow: number;
  commitWindow: number;
  revealWindow: number;
  minReputation: number;
};

/** JobState and ReplicaOutcome as the ABI numbers them. */
export const State = { None: 0, Open: 1, Committing: 2, Revealing: 3, Succeeded: 4, NoConsensus: 5, Failed: 6, Cancelled: 7, Expired: 8 } as const;
export const Outcome = { Agreed: 0, Dissented: 1, MissedCommit: 2, MissedReveal: 3, Unresolved: 4 } as const;

/** Decoded events of one market transaction, by name. */
export async function eventsOf(m: Deployed, hash: Hex) {
  const receipt = await m.publicClient.waitForTransactionReceipt({ hash });
  const logs = await m.publicClient.getContractEvents({ address: m.market.address, abi: m.market.abi, fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber });
  return logs.filter((l) => l.transactionHash === hash) as Array<{ eventName: string; args: Record<string, any> }>;
}

/** Every account's token balance inside the market must add up to what the market holds. */
export async function marketBalance(m: Deployed): Promise<bigint> {
  return m.token.read.balanceOf([m.market.address]);
}

/**
 * A market on the re-entrant token (contracts/mocks/ReentrantToken.sol) where the first requester
 * has a cancelled job's refund (`escrow`) to withdraw and enough approved to post one more job:
 * arm the token and a payout or a post re-enters the market.
 */
export async function reentrantMarket(m: Deployed) {
  const hostile = m.at((await m.viem.deployContract("ReentrantToken", [])).address, reentrantTokenAbi);
  const market = m.at((await m.viem.deployContract("JobMarket", [hostile.address, m.owner.address, m.params] as never)).address, jobMarketAbi);
  const requester = m.requesters[0];
  const params = m.jobParams({ replicas: 1, quorum: 1 });
  const escrow = params.maxPrice + params.maxPrice / 100n;
  await hostile.write.mint([requester.address, 2n * escrow]);
  await hostile.write.approve([market.address, 2n * escrow], { account: requester });
  await market.write.postJob([params], { account: requester });
  await market.write.cancel([(1n << 32n) | 1n], { account: requester });
  return { hostile, market, requester, params, escrow };
}

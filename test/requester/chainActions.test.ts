// The chain half of the actions against Hardhat's chain, called as a wagmi app calls them: with
// plain viem clients from createPublicClient/createWalletClient and the deployment's addresses,
// no AccordClient and no content node. Manifest CIDs are random: nothing here fetches them.
import { randomBytes } from "node:crypto";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { createPublicClient, createWalletClient, erc20Abi, http, type Address, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountRequiredError,
  cancelJob,
  claim,
  escrowFor,
  InsufficientBalanceError,
  InvalidJobParametersError,
  postJob,
  postJobs,
  withdraw,
  type MarketChain,
  type PostJobProgress,
  type PostableJob,
} from "../../client/src/actions/chain/index.ts";
import { readJob } from "../../client/src/chain/market.ts";
import { MAX_BID_WINDOW_SECONDS, MAX_PHASE_WINDOW_SECONDS, MAX_PRICE_UNITS, MAX_REPLICAS, MAX_REPUTATION_BPS, MIN_PHASE_WINDOW_SECONDS } from "../../client/src/generated/limits.ts";
import { ContractRevertedError } from "../../client/src/chain/revert.ts";
import { cidOfBytes } from "../../client/src/content/cid.ts";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { increaseTime, startDevnet, type Devnet } from "../devnet.ts";

const FEE_BPS = 100;
let net: Devnet;
let publicClient: PublicClient;

/** A MarketChain of plain viem clients for dev account `index`, as a wagmi app would hand them over. */
function chainFor(index: number): MarketChain {
  const walletClient = createWalletClient({ chain: hardhat, transport: http(net.chain.rpcUrl), account: privateKeyToAccount(DEV_ACCOUNTS[index]!.privateKey) });
  return { publicClient, walletClient, market: net.deployment.jobMarket, token: net.deployment.token };
}

const job = async (extra: Partial<PostableJob> = {}): Promise<PostableJob> => ({
  manifestCid: await cidOfBytes(randomBytes(32)),
  replicas: 3,
  maxPrice: 1_000n,
  // Nobody bids here: a bid window keeps the jobs open until a test moves the clock.
  bidWindow: 3600,
  ...extra,
});

const tokenRead = (functionName: "balanceOf", owner: Address) => publicClient.readContract({ address: net.deployment.token, abi: erc20Abi, functionName, args: [owner] });
const allowanceOf = (owner: Address) => publicClient.readContract({ address: net.deployment.token, abi: erc20Abi, functionName: "allowance", args: [owner, net.deployment.jobMarket] });
const sentBy = (owner: Address) => publicClient.getTransactionCount({ address: owner, blockTag: "pending" });

beforeAll(async () => {
  net = await startDevnet({ parameters: { protocolFeeBps: FEE_BPS } });
  publicClient = createPublicClient({ chain: hardhat, transport: http(net.chain.rpcUrl), pollingInterval: 50 });
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

describe("postJob with plain viem clients", () => {
  it("pays by permit when there is no allowance: one signature, one transaction, the escrow the contract takes", async () => {
    const chain = chainFor(1);
    const owner = chain.walletClient!.account!.address;
    const before = await tokenRead("balanceOf", owner);
    const steps: PostJobProgress[] = [];
    const posted = await postJob(chain, { ...(await job()), onProgress: (p) => steps.push(p) });

    const { escrow } = escrowFor(3, 1_000n, FEE_BPS);
    expect(escrow).toBe(3_030n);
    expect(posted.escrow).toBe(escrow);
    expect(before - (await tokenRead("balanceOf", owner))).toBe(escrow);
    expect(await allowanceOf(owner)).toBe(0n); // the permit was for exactly the escrow
    expect(steps.map((s) => s.step)).toEqual(["escrow", "permit", "sending", "sent", "posted"]);
    expect(steps[0]).toMatchObject({ payment: "permit", escrow, symbol: "tUSD" });
    const onChain = await readJob(publicClient, chain.market, posted.jobId);
    expect(onChain).toMatchObject({ state: "Open", requester: owner, replicas: 3, quorum: 2, escrow });
  });

  it("spends an existing allowance without a permit", async () => {
    const chain = chainFor(2);
    const owner = chain.walletClient!.account!.address;
    await publicClient.waitForTransactionReceipt({
      hash: await chain.walletClient!.writeContract({ address: chain.token, abi: erc20Abi, functionName: "approve", args: [chain.market, 1_000_000n], account: chain.walletClient!.account!, chain: hardhat }),
    });
    const steps: PostJobProgress[] = [];
    const posted = await postJob(chain, { ...(await job()), onProgress: (p) => steps.push(p) });
    expect(steps.map((s) => s.step)).toEqual(["escrow", "sending", "sent", "posted"]);
    expect(steps[0]).toMatchObject({ payment: "allowance" });
    expect(await allowanceOf(owner)).toBe(1_000_000n - posted.escrow);
  });

  it("approves first when told to pay by approval", async () => {
    const chain = chainFor(3);
    const steps: PostJobProgress[] = [];
    const posted = await postJob(chain, { ...(await job()), payment: "approve", onProgress: (p) => steps.push(p) });
    expect(steps.map((s) => s.step)).toEqual(["escrow", "approve", "sending", "sent", "posted"]);
    expect((await readJob(publicClient, chain.market, posted.jobId)).state).toBe("Open");
  });

  it("refuses, before any transaction, an escrow the balance cannot cover", async () => {
    const chain = chainFor(0); // the deployer holds ETH but no test tokens
    const owner = chain.walletClient!.account!.address;
    const sent = await sentBy(owner);
    const err = await postJob(chain, await job()).catch((e) => e);
    expect(err).toBeInstanceOf(InsufficientBalanceError);
    expect(err.needed).toBe(escrowFor(3, 1_000n, FEE_BPS).escrow);
    expect(err.balance).toBe(0n);
    expect(await sentBy(owner)).toBe(sent);
  });

  it("needs a wallet client with an account to post", async () => {
    const chain = { ...chainFor(1), walletClient: undefined };
    await expect(postJob(chain, await job())).rejects.toBeInstanceOf(AccountRequiredError);
    await expect(withdraw(chain)).rejects.toBeInstanceOf(AccountRequiredError);
  });
});

describe("the bounds generated from Limits.sol are the contract's", () => {
  it("posts a job at every upper bound", async () => {
    const posted = await postJob(chainFor(1), {
      ...(await job()),
      replicas: MAX_REPLICAS,
      quorum: MAX_REPLICAS,
      maxPrice: 1n,
      bidWindow: MAX_BID_WINDOW_SECONDS,
      commitWindow: MAX_PHASE_WINDOW_SECONDS,
      revealWindow: MIN_PHASE_WINDOW_SECONDS,
      minReputation: MAX_REPUTATION_BPS,
    });
    expect((await readJob(publicClient, net.deployment.jobMarket, posted.jobId)).replicas).toBe(MAX_REPLICAS);
  });

  it.each([
    ["replicas", { replicas: MAX_REPLICAS + 1 }],
    ["maxPrice", { maxPrice: MAX_PRICE_UNITS + 1n }],
    ["bidWindow", { bidWindow: MAX_BID_WINDOW_SECONDS + 1 }],
    ["commitWindow", { commitWindow: MIN_PHASE_WINDOW_SECONDS - 1 }],
    ["revealWindow", { revealWindow: MAX_PHASE_WINDOW_SECONDS + 1 }],
    ["minReputation", { minReputation: MAX_REPUTATION_BPS + 1 }],
  ])("refuses %s one past its bound before sending, as the contract would", async (field, bad) => {
    const chain = chainFor(1);
    const owner = chain.walletClient!.account!.address;
    const sent = await sentBy(owner);
    const err = await postJob(chain, { ...(await job()), ...bad }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidJobParametersError);
    expect(err.field).toBe(field);
    expect(await sentBy(owner)).toBe(sent);
  });
});

describe("postJobs", () => {
  it("carries a permit for the whole batch on its first accepted post, and leaves out a post the market refuses", async () => {
    const chain = chainFor(5);
    const owner = chain.walletClient!.account!.address;
    const before = await tokenRead("balanceOf", owner);
    // A dag-cbor CID: a CID, but not one of the two codecs the market anchors (CidLib.sol).
    const refused = CID.create(1, 0x71, await sha256.digest(randomBytes(32)));
    const jobs = [{ ...(await job()), manifestCid: refused }, await job({ maxPrice: 2_000n }), await job({ replicas: 1 })];
    const { results, transactionHash } = await postJobs(chain, { jobs });

    expect(results[0]).toMatchObject({ ok: false });
    const error = (results[0] as { error: ContractRevertedError }).error;
    expect(error).toBeInstanceOf(ContractRevertedError);
    expect(error.errorName).toBe("InvalidCid");
    const posted = results.slice(1).map((r) => (r.ok ? r.job : undefined)!);
    expect(posted.every((p) => p.transactionHash === transactionHash)).toBe(true);
    expect(posted.map((p) => p.escrow)).toEqual([escrowFor(3, 2_000n, FEE_BPS).escrow, escrowFor(1, 1_000n, FEE_BPS).escrow]);
    const spent = posted.reduce((n, p) => n + p.escrow, 0n);
    expect(before - (await tokenRead("balanceOf", owner))).toBe(spent);
    // The permit covered the batch as asked, the refused post's escrow included: that much stays allowed.
    expect(await allowanceOf(owner)).toBe(escrowFor(3, 1_000n, FEE_BPS).escrow);
    for (const p of posted) expect((await readJob(publicClient, chain.market, p.jobId)).state).toBe("Open");
  });

  it("approves the batch's total when told to pay by approval", async () => {
    const chain = chainFor(6);
    const { results } = await postJobs(chain, { jobs: [await job(), await job()], payment: "approve" });
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(await allowanceOf(chain.walletClient!.account!.address)).toBe(0n);
  });
});

describe("cancelJob, claim and withdraw with plain viem clients", () => {
  it("cancels an open job, credits its escrow back, and withdraws it to the wallet", async () => {
    const chain = chainFor(7);
    const owner = chain.walletClient!.account!.address;
    const posted = await postJob(chain, await job());
    const steps: string[] = [];
    const cancelled = await cancelJob(chain, { jobId: posted.jobId, onProgress: (p) => steps.push(p.step) });
    expect(steps).toEqual(["sending", "sent"]);
    expect(cancelled.refunded).toBe(posted.escrow);
    expect((await readJob(publicClient, chain.market, posted.jobId)).state).toBe("Cancelled");
    const before = await tokenRead("balanceOf", owner);
    const withdrawn = await withdraw(chain);
    expect(withdrawn.amount).toBe(posted.escrow);
    expect((await tokenRead("balanceOf", owner)) - before).toBe(posted.escrow);
  });

  it("refuses another account's cancel with the contract's error, before sending", async () => {
    const posted = await postJob(chainFor(7), await job());
    const other = chainFor(8);
    const owner = other.walletClient!.account!.address;
    const sent = await sentBy(owner);
    const err = await cancelJob(other, { jobId: posted.jobId }).catch((e) => e);
    expect(err).toBeInstanceOf(ContractRevertedError);
    expect(err.errorName).toBe("NotRequester");
    expect(await sentBy(owner)).toBe(sent);
    await cancelJob(chainFor(7), { jobId: posted.jobId });
  });

  it("claims a job nobody bid on once its bid deadline passed: it expires", async () => {
    const chain = chainFor(9);
    const posted = await postJob(chain, await job({ bidWindow: 120 }));
    const early = await claim(chain, { jobId: posted.jobId }).catch((e) => e);
    expect(early.errorName).toBe("DeadlineNotReached");
    await increaseTime(publicClient, 121);
    const claimed = await claim(chain, { jobId: posted.jobId });
    expect(claimed.settledState).toBe("Expired");
    expect(await withdraw(chain)).toMatchObject({ amount: posted.escrow });
  });
});

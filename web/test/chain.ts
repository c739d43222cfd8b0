// Direct chain access for the web tests: what a requester's other tools, or the passing of time, do
// to a job behind the page's back.
import { randomBytes } from "node:crypto";
import { createPublicClient, createWalletClient, erc20Abi, http, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { cancelJob, postJob as post, type MarketChain } from "@accord/client/actions/chain";
import { cidOfBytes } from "@accord/client/content/cid";
import type { CID } from "multiformats/cid";
import { jobMarketAbi } from "@accord/client/abi";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import type { Devnet } from "./harness.ts";

/** Above every provider's score (a score only reaches 10 000 bps in the limit): nobody may bid. */
export const NO_PROVIDER_QUALIFIES_BPS = 10_000;

export function chainOf(devnet: Devnet, accountIndex: number) {
  const account = privateKeyToAccount(DEV_ACCOUNTS[accountIndex]!.privateKey);
  const pub = createPublicClient({ chain: hardhat, transport: http(devnet.rpcUrl) });
  const wallet = createWalletClient({ account, chain: hardhat, transport: http(devnet.rpcUrl) });
  const market = devnet.deployment.jobMarket;
  const chain: MarketChain = { publicClient: pub, walletClient: wallet, market, token: devnet.deployment.token };
  const mined = async (hash: Hex) => {
    const r = await pub.waitForTransactionReceipt({ hash });
    if (r.status !== "success") throw new Error(`test transaction ${hash} reverted`);
    return r;
  };
  /** Posts a job from this account; by default one replica at 1 tUSD, 60 s windows. */
  async function postJob(p: { bidWindowS: number; replicas?: number; quorum?: number; minReputation?: number; manifestCid?: CID }): Promise<{ jobId: bigint; escrow: bigint }> {
    const { jobId, escrow } = await post(chain, {
      manifestCid: p.manifestCid ?? (await cidOfBytes(randomBytes(32))),
      replicas: p.replicas ?? 1,
      quorum: p.quorum ?? 1,
      maxPrice: 1_000_000n,
      bidWindow: p.bidWindowS,
      commitWindow: 60,
      revealWindow: 60,
      minReputation: p.minReputation ?? 0,
    });
    return { jobId, escrow };
  }
  return {
    address: account.address as Address,
    postJob,
    pub,
    mined,
    withdrawable: () => pub.readContract({ address: market, abi: jobMarketAbi, functionName: "withdrawable", args: [account.address] }),
    balance: () => pub.readContract({ address: devnet.deployment.token, abi: erc20Abi, functionName: "balanceOf", args: [account.address] }),
    /**
     * A job no provider bids on (its manifest is random bytes nobody holds, and its reputation bar
     * is out of reach, so the daemons decline it before fetching anything).
     */
    postUnbiddableJob(p: { bidWindowS: number; manifestCid?: CID }) {
      return postJob({ ...p, minReputation: NO_PROVIDER_QUALIFIES_BPS });
    },
    /** Registers and stakes this account as a provider, with no node behind it. */
    async registerProvider(stake: bigint) {
      await mined(await wallet.writeContract({ address: market, abi: jobMarketAbi, functionName: "registerProvider", args: ["0x00", [], 1n] }));
      await mined(await wallet.writeContract({ address: devnet.deployment.token, abi: erc20Abi, functionName: "approve", args: [market, stake] }));
      await mined(await wallet.writeContract({ address: market, abi: jobMarketAbi, functionName: "stake", args: [stake] }));
    },
    async bid(jobId: bigint, price: bigint, commitment?: Hex) {
      const hash = commitment
        ? await wallet.writeContract({ address: market, abi: jobMarketAbi, functionName: "bidAndCommit", args: [jobId, price, commitment] })
        : await wallet.writeContract({ address: market, abi: jobMarketAbi, functionName: "bid", args: [jobId, price] });
      await mined(hash);
    },
    /** Awards a job whose pool has closed (anyone may). */
    async award(jobId: bigint) {
      await mined(await wallet.writeContract({ address: market, abi: jobMarketAbi, functionName: "award", args: [jobId] }));
    },
    async commit(jobId: bigint, commitment: Hex) {
      await mined(await wallet.writeContract({ address: market, abi: jobMarketAbi, functionName: "commit", args: [jobId, commitment] }));
    },
    /** Collateral the job's bids (or awarded replicas) hold locked. */
    async collateralOf(jobId: bigint): Promise<bigint> {
      const replicas = await pub.readContract({ address: market, abi: jobMarketAbi, functionName: "getReplicas", args: [jobId] });
      return replicas.reduce((sum, r) => sum + r.collateral, 0n);
    },
    getJob: (jobId: bigint) => pub.readContract({ address: market, abi: jobMarketAbi, functionName: "getJob", args: [jobId] }),
    async cancel(jobId: bigint) {
      await cancelJob(chain, { jobId });
    },
  };
}

/** Moves the chain's clock on and mines a block at the new time, so every reader sees it. */
export async function advanceTime(devnet: Devnet, seconds: number): Promise<void> {
  const pub = createPublicClient({ chain: hardhat, transport: http(devnet.rpcUrl) });
  await pub.request({ method: "evm_increaseTime", params: [seconds] } as never);
  await pub.request({ method: "evm_mine", params: [] } as never);
}

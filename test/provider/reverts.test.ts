// A provider call that passes its estimate and fails in the block is paid for; the node must say
// so at warn, with the label, the transaction and the decoded reason, before the step decides
// again (issue #15: 22 reverted reveals in one run showed only in a metric). Forced here on
// Hardhat's in-process chain with automine off: the same bid sent twice, each estimated on the
// last block before either is mined, so the second fails AlreadyBid in the block. A bid races
// other parties, so the batcher sends it inside tryMulticall: the losing bid fails alone and its
// transaction does not revert (batcher.ts RACES_OTHERS).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, custom, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { setTimeout as sleep } from "node:timers/promises";
import { deployMarket, type Deployed } from "../contracts/market.ts";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { TxSender, TransactionRevertedError } from "../../provider-node/src/chain/sender.ts";
import { TxBatcher } from "../../provider-node/src/chain/batcher.ts";
import type { StepContext } from "../../provider-node/src/jobs/context.ts";
import { JobKnowledge } from "../../provider-node/src/jobs/knowledge.ts";
import { marketJobChain } from "../../provider-node/src/jobs/job-chain.ts";
import { market } from "../../provider-node/src/jobs/market-call.ts";
import type { JobRecord } from "../../provider-node/src/journal/journal.ts";

let m: Deployed;
beforeAll(async () => {
  m = await deployMarket();
  await m.registerAndStake(0); // Hardhat account 5
}, 120_000);
afterAll(async () => {
  await m?.conn.provider.request({ method: "evm_setAutomine", params: [true] });
});

describe("a reverted provider transaction", () => {
  it("is logged at warn with its label, transaction hash and decoded reason, and answered Reverted, without reverting its transaction", async () => {
    const jobId = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
    const client = createPublicClient({ transport: custom(m.conn.provider) }) as PublicClient;
    const account = privateKeyToAccount(DEV_ACCOUNTS[5]!.privateKey);
    expect(account.address).toBe(m.providers[0]!.address);
    const sender = new TxSender({ client, account, chainId: await client.getChainId(), receiptTimeoutMs: 60_000, retryMinMs: 20, retryMaxMs: 200 });
    const batcher = new TxBatcher({ client, sender, market: m.market.address, me: account.address, intervalMs: 0, maxCalls: 32 });
    const warnings: Array<Record<string, unknown>> = [];
    const log = { warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ ...fields, msg }), info: () => {}, debug: () => {}, error: () => {} };
    const counter = () => ({ inc: () => {} });
    const ctx = { jobChain: marketJobChain({ client, market: m.market.address, batcher }), log, metrics: { txs: counter(), txErrors: counter(), refusals: counter(), racesLost: counter() }, known: new JobKnowledge() } as unknown as StepContext;
    const rec = { jobId } as JobRecord;

    await m.conn.provider.request({ method: "evm_setAutomine", params: [false] });
    const first = market(ctx, rec, "bid", [jobId, 5n * m.unit]);
    while (sender.sent < 1) await sleep(10);
    const second = market(ctx, rec, "bid", [jobId, 5n * m.unit]);
    while (sender.sent < 2) await sleep(10);
    await m.conn.provider.request({ method: "evm_mine", params: [] });

    expect(await first).toEqual({ ok: true });
    const res = await second;
    expect(res).toMatchObject({ ok: false, error: "Reverted" });
    const err = (res as { err: Error }).err as TransactionRevertedError;
    expect(err).toBeInstanceOf(TransactionRevertedError);
    expect(err.reason).toBe("AlreadyBid");
    const receipt = await client.getTransactionReceipt({ hash: err.hash });
    expect(receipt.status).toBe("success");

    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ jobId: jobId.toString(), function: "bid", label: `bid job ${jobId} (in a batch)`, txHash: err.hash, reason: "AlreadyBid" });
  });
});

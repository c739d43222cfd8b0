// submitJobs: several posts in one tryMulticall transaction, escrow from the allowance.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { erc20Abi, parseEventLogs } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidJobParametersError } from "../../client/src/actions/errors.ts";
import { getJob } from "../../client/src/actions/getJob.ts";
import { submitJobs } from "../../client/src/actions/submitJobs.ts";
import type { AccordClient } from "../../client/src/client.ts";
import { jobMarketAbi } from "../../client/src/generated/abi.ts";
import { startDevnet, type Devnet } from "../devnet.ts";

const FIXTURES = join(import.meta.dirname, "../../client/fixtures/wasm");
const LIMITS = { fuel: 10_000_000, memoryPages: 32, wallClockMs: 10_000 };

let net: Devnet;
let client: AccordClient;
let echo: Uint8Array;

beforeAll(async () => {
  net = await startDevnet({ parameters: { protocolFeeBps: 0 } });
  client = net.requester();
  echo = new Uint8Array(await readFile(join(FIXTURES, "echo.wasm")));
}, 120_000);

afterAll(async () => {
  await client?.close();
  await net?.stop();
});

const balanceOf = () => net.publicClient.readContract({ address: net.deployment.token, abi: erc20Abi, functionName: "balanceOf", args: [client.account!.address] });

describe("submitJobs", () => {
  it("posts every job of the batch in one transaction, approving the batch's escrow when the allowance is short", async () => {
    const before = await balanceOf();
    const jobs = [1, 2, 3].map((i) => ({ module: echo, stdin: new TextEncoder().encode(`batch ${i}`), nonce: `batch-${i}`, limits: LIMITS, replicas: 3, quorum: 2, maxPrice: BigInt(i) * 1_000n}));
    const { results, transactionHash } = await submitJobs(client, { jobs, announce: false });
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    const posted = results.map((r) => (r.ok ? r.job : undefined)!);
    expect(new Set(posted.map((p) => p.jobId)).size).toBe(3);
    expect(posted.every((p) => p.transactionHash === transactionHash)).toBe(true);

    // One transaction carried the three JobPosted events, each job with its own terms and manifest.
    const receipt = await net.publicClient.getTransactionReceipt({ hash: transactionHash! });
    expect(parseEventLogs({ abi: jobMarketAbi, eventName: "JobPosted", logs: receipt.logs })).toHaveLength(3);
    for (const [i, p] of posted.entries()) {
      const job = await getJob(client, { jobId: p.jobId });
      expect(job.maxPrice).toBe(BigInt(i + 1) * 1_000n);
      expect(job.state).toBe("Open");
      expect(p.manifest.stdin).toBeDefined();
    }
    const escrow = posted.reduce((n, p) => n + p.escrow, 0n);
    expect(escrow).toBe(3n * 6_000n);
    expect(before - (await balanceOf())).toBe(escrow);
  }, 120_000);

  it("names the job whose parameters are wrong, before any transaction", async () => {
    const good = { module: echo, limits: LIMITS, replicas: 3, quorum: 2, maxPrice: 1_000n };
    const err = await submitJobs(client, { jobs: [good, { ...good, quorum: 1 }] }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidJobParametersError);
    expect(err.field).toBe("jobs[1].quorum");
  });
});

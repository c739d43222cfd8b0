// When a committed bid's result is sealed to the requester, on a real chain with provider
// daemons as child processes. One 4-of-5 job, quorum 3, light enough for committed bids. All five
// bid into the pool; the test draws the replicas itself, with a prevrandao it chose so the draw
// leaves E out (the seed delay keeps the daemons from drawing first):
//  - E is not drawn: it ran the job for its committed bid, and never seals the result;
//  - D (silent-after-award) wins and never commits, so the reveal phase opens only at the commit
//    deadline, and the winners wait, committed, with nothing sealed yet;
//  - C is killed there: restarted, with the plaintext gone from memory, it runs the job again,
//    seals, and reveals a sealed CID the requester opens to the agreed result.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { createWalletClient, http, keccak256, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { hexToCid } from "../../client/src/chain/index.ts";
import { drawIndices, drawSeed } from "../../client/src/chain/draw.ts";
import { jobMarketAbi } from "../../client/src/generated/abi.ts";
import { Journal } from "../../provider-node/src/journal/journal.ts";
import { settleEverything } from "../e2e/conservation.ts";
import { PROVIDER_KEYS, spawnProvider, startMarket, type DaemonSpec, type ProviderProcess, type Requester, type TestChain, type TestMarket } from "./harness.ts";
import { LOG_EVENTS, type LogEvent } from "../../provider-node/src/log-events.ts";

const COMMIT_WINDOW_S = 120;
/** Long enough that no daemon can award before the test has drawn. */
const SEED_DELAY_S = 200;
const A = 0, C = 2, D = 3, E = 4;
let t: TestChain;
let requester: Requester;
let p: ProviderProcess[];
let m: TestMarket | undefined;
let jobId: bigint;

const keys = PROVIDER_KEYS.slice(0, 5);
const MIN_PRICES = ["2000", "3000", "4000", "1000", "5000"];
const daemon = (i: number): DaemonSpec => ({ privateKey: keys[i]!.privateKey, env: { ACCORD_MIN_PRICE: MIN_PRICES[i]! }, args: i === D ? ["--fault", "silent-after-award"] : [] });
const start = (i: number, dataDir?: string) => spawnProvider({ rpcUrl: t.rpcUrl, market: t.deployment.jobMarket, dataDir, ...daemon(i) });
const ofJob = (event: LogEvent) => (l: Record<string, unknown>) => l.event === event && l.jobId === jobId.toString();
const journalOf = (x: ProviderProcess) => {
  const j = new Journal(join(x.dataDir, "journal.sqlite"), { readOnly: true });
  try {
    return j.get(jobId)!;
  } finally {
    j.close();
  }
};

beforeAll(async () => {
  m = await startMarket({ daemons: keys.map((_, i) => daemon(i)), parameters: { seedDelay: SEED_DELAY_S } });
  ({ t, requester, providers: p } = m);
});

afterAll(() => m?.stop());

describe("sealing committed results", { timeout: 180_000 }, () => {
  it("a committed bid that loses the auction is never sealed", async () => {
    jobId = await requester.postJob({ replicas: 4, quorum: 3, bidWindow: 30, commitWindow: COMMIT_WINDOW_S, stdin: new TextEncoder().encode("seal me late") });
    await Promise.all(p.map((x) => x.waitForLog(ofJob(LOG_EVENTS.bidPlaced))));
    // Past the pool's close and its seed delay, without a block yet: the next block draws, and the
    // test picks its prevrandao so that the draw leaves E out.
    await t.publicClient.request({ method: "evm_increaseTime" as never, params: [31 + SEED_DELAY_S] as never });
    const pool = await t.publicClient.readContract({ address: t.deployment.jobMarket, abi: jobMarketAbi, functionName: "getReplicas", args: [jobId] });
    const parent = await t.publicClient.getBlock({ blockTag: "latest" });
    let randomness: Hex | undefined;
    for (let i = 0; !randomness; i++) {
      const r = keccak256(toHex(`seal ${i}`));
      const drawn = drawIndices(drawSeed(r, parent.hash!, jobId, pool), pool.map((e) => e.weight), 4).map((d) => pool[d]!.provider.toLowerCase());
      if (!drawn.includes(p[E]!.info.address.toLowerCase())) randomness = r;
    }
    await t.publicClient.request({ method: "hardhat_setPrevRandao" as never, params: [randomness] as never });
    const awarder = createWalletClient({ chain: hardhat, transport: http(t.rpcUrl), account: privateKeyToAccount(PROVIDER_KEYS[7]!.privateKey) });
    await t.publicClient.waitForTransactionReceipt({ hash: await awarder.writeContract({ address: t.deployment.jobMarket, abi: jobMarketAbi, functionName: "award", args: [jobId] }) });
    await p[E]!.waitForLog(ofJob(LOG_EVENTS.bidLeftPool));
    await Promise.all([0, 1, 2].map((i) => p[i]!.waitForLog(ofJob(LOG_EVENTS.committed))));

    const loser = journalOf(p[E]!);
    expect(loser.phase).toBe("lost");
    expect(loser.resultCid).toBeTruthy(); // it ran the job for its committed bid
    expect(loser.sealedCid).toBeUndefined();
    expect(p[E]!.logs.some(ofJob(LOG_EVENTS.revealed))).toBe(false);
  });

  it("a winner killed after the award and before its reveal runs the job again, seals and reveals", async () => {
    await p[C]!.kill("SIGKILL");
    const before = journalOf(p[C]!);
    expect(before.phase).toBe("committed");
    expect(before.resultCid).toBeTruthy();
    expect(before.salt).toMatch(/^0x[0-9a-f]{64}$/);
    expect(before.sealedCid).toBeUndefined(); // the reveal phase is not open yet: nothing sealed

    await t.increaseTime(COMMIT_WINDOW_S + 1); // D never committed: the reveal phase opens at the deadline
    await Promise.all([p[A]!.waitForLog(ofJob(LOG_EVENTS.revealed)), p[1]!.waitForLog(ofJob(LOG_EVENTS.revealed))]);
    p[C] = await start(C, p[C]!.dataDir);
    await p[C].waitForLog(ofJob(LOG_EVENTS.resealed));
    await p[C].waitForLog(ofJob(LOG_EVENTS.revealed));
    const info = await requester.waitForState(jobId, ["Succeeded", "NoConsensus", "Failed"]);
    expect(info.state).toBe("Succeeded");

    const after = journalOf(p[C]);
    expect(after.resultCid).toBe(before.resultCid);
    const { replicas, reveals } = await requester.outcome(jobId);
    expect(replicas.get(p[C].info.address.toLowerCase())).toMatchObject({ outcome: 0 }); // Agreed
    const reveal = reveals.find((r) => r.provider.toLowerCase() === p[C]!.info.address.toLowerCase())!;
    expect(hexToCid(reveal.sealedResultCid).toString()).toBe(after.sealedCid);
    await requester.connect(p[C].info.multiaddrs);
    const bundle = await requester.fetchResult(jobId, reveal);
    expect(new TextDecoder().decode(bundle.stdout)).toBe("seal me late");
  });

  it("leaves every token accounted for, and nothing locked past the deadlines", async () => {
    await settleEverything({ client: t.publicClient, deployment: t.deployment, rpcUrl: t.rpcUrl });
  });
});

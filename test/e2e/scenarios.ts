// The marketplace end to end, with every part real: a chain (Hardhat's node with automine, or
// anvil, an independent EVM, with interval mining), five `accord-provider` daemons as child
// processes, and the requester through the SDK; scenarios.test.ts and scenarios.anvil.test.ts run
// them on each: honest providers, a faulty one, a requester offline, providers killed and restarted
// mid-job, a burst. One chain and one set of daemons serve every scenario in turn (each waits for its
// own jobs to end), and after each the token ledger is audited (conservation.ts): nothing minted is
// lost, nothing stays locked.
//
// Faults are real processes dying. To kill a provider at an exact point of a job without racing
// it, the job gets a bid window: once every daemon has bid, all are frozen (SIGSTOP), the test
// awards the job, picks its victims among the winners, SIGKILLs them and thaws (SIGCONT) the
// rest. A frozen process does nothing at all, so "after the award, before the commit" is exact.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createWalletClient, erc20Abi, http, maxUint256, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { jobMarketAbi } from "../../client/src/generated/abi.ts";
import { getMarketEvents, JOB_STATES, readJob, readProvider, readReplicas } from "../../client/src/chain/index.ts";
import { createAccordClient, type AccordClient } from "../../client/src/client.ts";
import { dryRun } from "../../client/src/actions/dryRun.ts";
import { submitJob, type SubmitJobParameters } from "../../client/src/actions/submitJob.ts";
import { waitForResult } from "../../client/src/actions/waitForResult.ts";
import { watchJob } from "../../client/src/actions/watchJob.ts";
import { getJob } from "../../client/src/actions/getJob.ts";
import { JobNotSucceededError } from "../../client/src/actions/errors.ts";
import { generateResultKey } from "../../client/src/seal/seal.ts";
import { registerProvider, spawnProvider, type ProviderProcess } from "../provider/harness.ts";
import { increaseTime, startDevnet, type Devnet, type DevnetOptions } from "../devnet.ts";
import { checkConservation, drainMarket, readLedger, settleEverything, type Ledger } from "./conservation.ts";
import { LOG_EVENTS, type LogEvent } from "../../provider-node/src/log-events.ts";

const FIXTURES = join(import.meta.dirname, "../../client/fixtures/wasm");
const LIMITS = { fuel: 50_000_000, memoryPages: 64, wallClockMs: 10_000 };
/**
 * Above the daemons' bidAndCommitMaxFuel (100M by default): they bid first and run only once
 * awarded, the two-phase path, where "after the award, before the commit" exists. LIMITS jobs
 * take the committed-bid path.
 */
const HEAVY_LIMITS = { ...LIMITS, fuel: 200_000_000 };
const DATA = "pear\napple\nfig\n";
const SORTED = "apple\nfig\npear\n";
const BID_WINDOW_S = 30;
const WINDOW_S = 120;
const PROVIDERS = 5;
/**
 * One poster. With four requester nodes started during the burst, every daemon failed to fetch some
 * manifests within 10 s ("no reachable peer served it") and those jobs got no bid.
 */
const BURST_POSTERS = [DEV_ROLES.requesters[2]];
/** Jobs posted but not settled at once: below the daemons' joint capacity (5 x 4 queued), so none is declined for lack of room. */
const BURST_IN_FLIGHT = 12;
const BURST_LIMITS = { fuel: 10_000_000, memoryPages: 32, wallClockMs: 10_000 };

export type ScenarioOptions = {
  /** The chain they run on: its engine and block time. */
  chain: Pick<DevnetOptions, "engine" | "blockTime">;
  /** Jobs of the burst. */
  burstJobs: number;
};

/** Every scenario, in order, on one chain of the given kind with five daemons. */
export function defineScenarios(o: ScenarioOptions): void {
  const BURST_JOBS = o.burstJobs;
  const CHAIN = `${o.chain.engine ?? "hardhat"}${o.chain.blockTime ? `, ${o.chain.blockTime} s blocks` : ", automine"}`;
  let net: Devnet;
  let client: AccordClient;
  let sortWasm: Uint8Array;
  const keys = DEV_ACCOUNTS.slice(DEV_ROLES.providers[0], DEV_ROLES.providers[0] + PROVIDERS);
  const daemons: ProviderProcess[] = [];

  /**
   * Evaluations mostly wait on the network: a manifest fetch waits for the DHT lookup of its
   * providers (up to findProvidersTimeoutMs, 10 s) before it streams. With the default 8 at once,
   * five daemons that all evaluate every k=1 job of the burst fell minutes behind it.
   */
  const DAEMON_ARGS = ["--limit", "maxConcurrentEvaluations=64"];
  const start = (i: number, dataDir?: string) => spawnProvider({ rpcUrl: net.chain.rpcUrl, market: net.deployment.jobMarket, privateKey: keys[i]!.privateKey, dataDir, args: DAEMON_ARGS });
  const ctx = () => ({ client: net.publicClient, deployment: net.deployment, rpcUrl: net.chain.rpcUrl });
  const sortJob = (extra: Partial<SubmitJobParameters> = {}): SubmitJobParameters => ({
    module: sortWasm,
    inputs: { "data.txt": new TextEncoder().encode(DATA) },
    limits: LIMITS,
    replicas: 3,
    maxPrice: 500_000n,
    commitWindow: WINDOW_S,
    revealWindow: WINDOW_S,
    ...extra,
  });
  const daemonOf = (address: Address) => daemons.find((d) => d.info.address.toLowerCase() === address.toLowerCase())!;
  const logFor = (jobId: bigint, event: LogEvent) => (l: Record<string, unknown>) => l.event === event && l.jobId === jobId.toString();

  beforeAll(async () => {
    net = await startDevnet(o.chain);
    await Promise.all(keys.map((k) => registerProvider(net.chain.rpcUrl, net.deployment.jobMarket, k.privateKey)));
    daemons.push(...(await Promise.all(keys.map((_, i) => start(i)))));
    client = net.requester();
    sortWasm = new Uint8Array(await readFile(join(FIXTURES, "sort.wasm")));
    await checkConservation(ctx());
  });

  afterAll(async () => {
    thaw();
    await Promise.all(daemons.map((d) => d.kill()));
    await client?.close();
    await net?.stop();
  });

  /** Every party's withdrawable credit grew by exactly what the settlement says it earned. */
  function expectCredited(before: Ledger, after: Ledger, expected: Map<Address, bigint>) {
    for (const [account, amount] of expected) {
      const a = account.toLowerCase() as Address;
      expect((after.credits.get(a) ?? 0n) - (before.credits.get(a) ?? 0n), `credit of ${account}`).toBe(amount);
    }
  }

  /**
   * Posts a job with a bid window, waits until k bids are in, freezes every daemon, awards it and
   * returns the winners' daemons; the caller kills or thaws them.
   */
  async function postAndFreezeAtAward(p: SubmitJobParameters) {
    const posted = await submitJob(client, { ...p, bidWindow: BID_WINDOW_S });
    // Which k bids are in when the book closes does not matter; that k are, does.
    while ((await readJob(net.publicClient, net.deployment.jobMarket, posted.jobId)).bids < p.replicas) await sleep(100);
    for (const d of daemons) d.process.kill("SIGSTOP");
    await increaseTime(net.publicClient, BID_WINDOW_S + 1);
    const awarder = createWalletClient({ chain: hardhat, transport: http(net.chain.rpcUrl), account: privateKeyToAccount(DEV_ACCOUNTS[DEV_ROLES.deployer]!.privateKey) });
    // A fixed limit that covers a draw from a full pool: bids sent before the freeze may land in the
    // award's block, after its estimate, and make it draw.
    await net.publicClient.waitForTransactionReceipt({ hash: await awarder.writeContract({ address: net.deployment.jobMarket, abi: jobMarketAbi, functionName: "award", args: [posted.jobId], gas: 3_000_000n }) });
    const winners = (await readReplicas(net.publicClient, net.deployment.jobMarket, posted.jobId)).map((r) => daemonOf(r.provider));
    expect(winners).toHaveLength(p.replicas);
    return { posted, winners };
  }

  function thaw() {
    for (const d of daemons) if (d.process.exitCode === null && d.process.signalCode === null) d.process.kill("SIGCONT");
  }

  async function waitForTerminal(jobId: bigint) {
    for (;;) {
      const info = await readJob(net.publicClient, net.deployment.jobMarket, jobId);
      if (info.terminal) return info;
      await sleep(200);
    }
  }

  /** Brings a killed daemon back on its data folder, so the next scenario has all five again. */
  async function restart(victim: ProviderProcess) {
    const i = daemons.indexOf(victim);
    daemons[i] = await start(i, victim.dataDir);
  }

  describe(`honest providers (${CHAIN})`, { timeout: 90_000 }, () => {
    for (const quorum of [3, 2]) {
      it(`settle a ${quorum}-of-3 job on the dry run's result, and every party is credited what it earned`, async () => {
        const before = await readLedger(ctx());
        const dry = await dryRun(client, sortJob());
        const posted = await submitJob(client, sortJob({ quorum }));
        expect(posted.manifestCid.toString()).toBe(dry.manifestCid.toString());
        const r = await waitForResult(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, timeoutMs: 60_000 });

        expect(r.resultCid).toBe(dry.resultCid.toString());
        expect(new TextDecoder().decode(r.files["sorted.txt"])).toBe(SORTED);
        expect(r.job.outcomes.map((o) => o.outcome)).toEqual(["Agreed", "Agreed", "Agreed"]);
        const s = r.job.settlement!;
        expect(s.state).toBe("Succeeded");
        expect(s.paid + s.fee + s.refunded, JSON.stringify(s, (_, v) => (typeof v === "bigint" ? `${v}` : v))).toBe(posted.escrow);
        const credited = new Map<Address, bigint>(r.job.outcomes.map((o) => [o.provider, o.paid]));
        for (const o of r.job.outcomes) expect(o.paid, `${o.provider} was paid its bid`).toBe(r.job.bids.find((b) => b.provider.toLowerCase() === o.provider.toLowerCase())!.price);
        credited.set(client.account!.address, s.refunded);
        expectCredited(before, await settleEverything(ctx()), credited);
      });
    }
  });

  describe(`a provider that reports a wrong result (${CHAIN})`, { timeout: 180_000 }, () => {
    it("is outvoted and slashed in a 2-of-3 job, which settles on the honest result; the stopped daemons come back", async () => {
      const key = DEV_ACCOUNTS[DEV_ROLES.providers[PROVIDERS]]!;
      await registerProvider(net.chain.rpcUrl, net.deployment.jobMarket, key.privateKey);
      const faulty = await spawnProvider({ rpcUrl: net.chain.rpcUrl, market: net.deployment.jobMarket, privateKey: key.privateKey, args: [...DAEMON_ARGS, "--fault", "wrong-result"] });
      // Three bidders for three replicas, so the faulty daemon surely wins one: two honest daemons
      // and it. The other three stop meanwhile and restart on their journals afterwards.
      const resting = daemons.slice(2);
      await Promise.all(resting.map((d) => d.kill()));
      try {
        const posted = await submitJob(client, sortJob({ quorum: 2 }));
        const r = await waitForResult(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, timeoutMs: 90_000 });
        expect(new TextDecoder().decode(r.files["sorted.txt"])).toBe(SORTED);
        const outcome = Object.fromEntries(r.job.outcomes.map((o) => [o.provider.toLowerCase(), o]));
        expect(outcome[faulty.info.address.toLowerCase()]).toMatchObject({ outcome: "Dissented", paid: 0n });
        expect(outcome[faulty.info.address.toLowerCase()]!.slashed).toBeGreaterThan(0n);
        for (const d of daemons.slice(0, 2)) expect(outcome[d.info.address.toLowerCase()]!.outcome).toBe("Agreed");
        expect((await readProvider(net.publicClient, net.deployment.jobMarket, faulty.info.address)).dissented).toBe(1);
      } finally {
        await faulty.kill();
        await Promise.all(resting.map((d) => restart(d)));
      }
      await settleEverything(ctx());
    });
  });

  describe(`a requester that goes offline while its job runs (${CHAIN})`, { timeout: 90_000 }, () => {
    it("gets and verifies the result later from a new client with the same key", async () => {
      const account = privateKeyToAccount(DEV_ACCOUNTS[DEV_ROLES.requesters[1]]!.privateKey);
      const resultKey = generateResultKey();
      const session = (name: string) =>
        createAccordClient({ chain: hardhat, transport: http(net.chain.rpcUrl), account, deployment: net.deployment, node: { dataDir: join(net.dir, name) }, resultKey, pollingIntervalMs: 50 });
      const first = session("offline-1");
      const posted = await submitJob(first, sortJob({ quorum: 2 }));
      // The winners fetched everything before bidding; from the award on, the requester is not needed.
      for await (const ev of watchJob(first, { jobId: posted.jobId, fromBlock: posted.blockNumber })) if (ev.type === "awarded") break;
      await first.close();

      expect((await waitForTerminal(posted.jobId)).state).toBe("Succeeded");

      const later = session("offline-2");
      try {
        const r = await waitForResult(later, { jobId: posted.jobId, timeoutMs: 30_000 });
        expect(r.resultCid).toBe((await dryRun(later, sortJob())).resultCid.toString());
        expect(new TextDecoder().decode(r.files["sorted.txt"])).toBe(SORTED);
      } finally {
        await later.close();
      }
      await settleEverything(ctx());
    });
  });

  describe(`providers killed mid-job (${CHAIN})`, { timeout: 120_000 }, () => {
    it("one killed after the award, before it commits: the others' quorum settles it and it loses its collateral", async () => {
      const { posted, winners } = await postAndFreezeAtAward(sortJob({ quorum: 2, limits: HEAVY_LIMITS }));
      const victim = winners[0]!;
      await victim.kill("SIGKILL");
      thaw();
      await Promise.all(winners.slice(1).map((d) => d.waitForLog(logFor(posted.jobId, LOG_EVENTS.committed))));
      await increaseTime(net.publicClient, WINDOW_S + 1); // the victim's commit never comes
      const r = await waitForResult(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, timeoutMs: 60_000 });
      expect(new TextDecoder().decode(r.files["sorted.txt"])).toBe(SORTED);
      const outcome = Object.fromEntries(r.job.outcomes.map((o) => [o.provider.toLowerCase(), o]));
      expect(outcome[victim.info.address.toLowerCase()]).toMatchObject({ outcome: "MissedCommit", paid: 0n });
      expect(outcome[victim.info.address.toLowerCase()]!.slashed).toBeGreaterThan(0n);
      for (const w of winners.slice(1)) expect(outcome[w.info.address.toLowerCase()]!.outcome).toBe("Agreed");
      expect((await readProvider(net.publicClient, net.deployment.jobMarket, victim.info.address)).missed).toBe(1);
      await settleEverything(ctx());
      await restart(victim);
    });

    it("one killed after it commits: the others reveal, the job settles at the reveal deadline, and it loses its collateral", async () => {
      const { posted, winners } = await postAndFreezeAtAward(sortJob({ quorum: 2, limits: HEAVY_LIMITS }));
      const victim = winners[0]!;
      // Only the victim runs, so the reveal phase cannot open before it is dead.
      victim.process.kill("SIGCONT");
      await victim.waitForLog(logFor(posted.jobId, LOG_EVENTS.committed));
      await victim.kill("SIGKILL");
      thaw();
      await Promise.all(winners.slice(1).map((d) => d.waitForLog(logFor(posted.jobId, LOG_EVENTS.revealed))));
      await increaseTime(net.publicClient, WINDOW_S + 1);
      const r = await waitForResult(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, timeoutMs: 60_000 });
      expect(new TextDecoder().decode(r.files["sorted.txt"])).toBe(SORTED);
      const outcome = Object.fromEntries(r.job.outcomes.map((o) => [o.provider.toLowerCase(), o.outcome]));
      expect(outcome[victim.info.address.toLowerCase()]).toBe("MissedReveal");
      expect(winners.slice(1).map((w) => outcome[w.info.address.toLowerCase()])).toEqual(["Agreed", "Agreed"]);
      await settleEverything(ctx());
      await restart(victim);
    });

    it("a 2-of-2 job with one winner killed fails and refunds the requester in full; the victim's collateral goes to the treasury", async () => {
      const before = await readLedger(ctx());
      const { posted, winners } = await postAndFreezeAtAward(sortJob({ replicas: 2, quorum: 2, limits: HEAVY_LIMITS }));
      const [victim, survivor] = winners as [ProviderProcess, ProviderProcess];
      await victim.kill("SIGKILL");
      thaw();
      await survivor.waitForLog(logFor(posted.jobId, LOG_EVENTS.committed));
      await increaseTime(net.publicClient, WINDOW_S + 1);
      const err = await waitForResult(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, timeoutMs: 60_000 }).catch((e) => e);
      expect(err).toBeInstanceOf(JobNotSucceededError);
      expect(err.state).toBe("Failed");

      const job = await getJob(client, { jobId: posted.jobId });
      const outcome = Object.fromEntries(job.outcomes.map((o) => [o.provider.toLowerCase(), o]));
      expect(outcome[survivor.info.address.toLowerCase()]).toMatchObject({ outcome: "Unresolved", paid: 0n, slashed: 0n });
      const slashed = outcome[victim.info.address.toLowerCase()]!;
      expect(slashed.outcome).toBe("MissedCommit");
      expect(slashed.slashed).toBeGreaterThan(0n);
      const after = await settleEverything(ctx());
      // Slashed collateral never rewards the requester (docs/PROTOCOL.md, "Slashing").
      expectCredited(before, after, new Map([[client.account!.address, posted.escrow]]));
      await restart(victim);
    });
  });

  describe(`a burst of jobs (${CHAIN})`, { timeout: 600_000 }, () => {
    it(`${BURST_JOBS} small jobs posted back to back over five providers all reach a terminal state`, async () => {
      const echo = new Uint8Array(await readFile(join(FIXTURES, "echo.wasm")));
      const posters = BURST_POSTERS.map((i) => net.requester(i));
      // A requester posting in bulk approves the market once; submitJob then uses the allowance.
      for (const p of posters) {
        const hash = await p.walletClient!.writeContract({ address: net.deployment.token, abi: erc20Abi, functionName: "approve", args: [net.deployment.jobMarket, maxUint256], account: p.account!, chain: p.chain });
        await net.publicClient.waitForTransactionReceipt({ hash });
      }
      const from = await net.publicClient.getBlockNumber({ cacheTime: 0 });
      const mine = new Set<bigint>();
      const ended = new Map<bigint, string>();
      let next = 0;
      let stop = false;

      // A job every daemon declined gets no bid and waits for its fill timeout; it is expired by
      // the time travel at the end. Everything else must settle on its own.
      const declinedByAll = (id: bigint) => daemons.every((d) => d.logs.some((l) => l.event === LOG_EVENTS.declined && l.jobId === id.toString()));
      const waiting = () => [...mine].filter((id) => !ended.has(id) && !declinedByAll(id));
      // One reader of the market's events stands in for 200 watchers.
      const follow = (async () => {
        let cursor = from;
        while (!stop) {
          const head = await net.publicClient.getBlockNumber({ cacheTime: 0 });
          if (head >= cursor) {
            for (const ev of await getMarketEvents(net.publicClient, { address: net.deployment.jobMarket, fromBlock: cursor, toBlock: head }))
              if (ev.eventName === "JobSettled") ended.set(ev.args.jobId!, JOB_STATES[Number(ev.args.state)]!);
            cursor = head + 1n;
          }
          await sleep(250);
        }
      })();
      const post = async (poster: AccordClient) => {
        while (next < BURST_JOBS) {
          if (waiting().length >= BURST_IN_FLIGHT) {
            await sleep(50);
            continue;
          }
          const i = next++;
          const posted = await submitJob(poster, { module: echo, stdin: new TextEncoder().encode(`burst ${i}`), nonce: `burst-${i}`, limits: BURST_LIMITS, replicas: 1, maxPrice: 500_000n });
          mine.add(posted.jobId);
        }
      };
      try {
        await Promise.all(posters.map(post));
        while (waiting().length) await sleep(250);
      } finally {
        stop = true;
        await follow;
      }
      const stalled = [...mine].filter((id) => !ended.has(id));
      const ledger = await settleEverything(ctx());
      const events = await getMarketEvents(net.publicClient, { address: net.deployment.jobMarket, fromBlock: from, toBlock: ledger.block });
      const final = new Map(events.filter((e) => e.eventName === "JobSettled").map((e) => [(e.args as { jobId: bigint }).jobId, JOB_STATES[Number((e.args as { state: number }).state)]!]));
      const count = (state: string) => [...mine].filter((id) => final.get(id) === state).length;
      console.info(`burst: ${count("Succeeded")} succeeded, ${count("Expired")} expired (declined by every daemon: ${stalled.length})`);

      expect(mine.size).toBe(BURST_JOBS);
      expect([...mine].filter((id) => !final.has(id))).toEqual([]);
      // Honest daemons and k = 1: a job either ran and succeeded, or nobody bid and it expired.
      expect(count("Succeeded") + count("Expired")).toBe(BURST_JOBS);
      expect(stalled.filter((id) => final.get(id) !== "Expired")).toEqual([]);
      expect(count("Expired")).toBe(stalled.length);
    });
  });

  describe(`the end of the market (${CHAIN})`, { timeout: 60_000 }, () => {
    it("once the daemons are gone, everyone withdraws and unstakes everything and the market holds nothing", async () => {
      thaw();
      await Promise.all(daemons.map((d) => d.kill()));
      await drainMarket(ctx());
    });
  });
}

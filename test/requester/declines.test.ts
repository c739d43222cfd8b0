// Issue #15 item 3: providers tell requesters why they decline. Two provider daemons (real
// `accord-provider start` processes) on Hardhat decline a job whose commit window is too short
// for its fuel budget, and one that pays less than their price; the requester's watchJob and
// `accord job submit` show each provider's structured reason while the job waits for bids. A
// registered "provider" whose node answers garbage is reported as such and breaks nothing.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { registerProvider, spawnProvider, type ProviderProcess } from "../provider/harness.ts";
import { submitJob, type SubmitJobParameters } from "../../client/src/actions/submitJob.ts";
import { watchJob, type DeclinesEvent } from "../../client/src/actions/watchJob.ts";
import type { AccordClient } from "../../client/src/client.ts";
import { EXIT } from "../../client/src/cli/exitCodes.ts";
import { createAccordNode, DECLINES_PROTOCOL, InvalidDeclinesAnswerError, type AccordNode } from "../../client/src/net/index.ts";
import { connectChain } from "../../provider-node/src/chain/clients.ts";
import { addStake, registerOrUpdate } from "../../provider-node/src/chain/account.ts";
import { PROVIDER_LIMITS } from "../../provider-node/src/constants.ts";
import { increaseTime, startDevnet, type Devnet } from "../devnet.ts";
import { startCli } from "./cli.ts";

const FIXTURES = join(import.meta.dirname, "../../client/fixtures/wasm");
/** 10e9 fuel is ~50 s at the daemons' default 200M fuel/s; they plan to use half the commit window, so 60 s is too short and 100 s would do. */
const HEAVY = { fuel: 10_000_000_000, memoryPages: 64, wallClockMs: 60_000 };

let net: Devnet;
let client: AccordClient;
let echo: Uint8Array;
let hostile: AccordNode;
const daemons: ProviderProcess[] = [];
const HOSTILE_KEY = DEV_ACCOUNTS[DEV_ROLES.providers[0] + 2]!;

beforeAll(async () => {
  net = await startDevnet({ parameters: { collateralRatioBps: 10_000 } });
  const keys = DEV_ACCOUNTS.slice(DEV_ROLES.providers[0], DEV_ROLES.providers[0] + 2);
  await Promise.all(keys.map((k) => registerProvider(net.chain.rpcUrl, net.deployment.jobMarket, k.privateKey)));
  daemons.push(...(await Promise.all(keys.map((k) => spawnProvider({ rpcUrl: net.chain.rpcUrl, market: net.deployment.jobMarket, privateKey: k.privateKey })))));

  // A registered provider whose node answers every question about declines with garbage.
  hostile = await createAccordNode({ dataDir: join(net.dir, "hostile") });
  await hostile.handleProtocol(DECLINES_PROTOCOL, async () => new TextEncoder().encode('{"v":1,"status":"declined","reasons":"<script>'));
  const chain = await connectChain({ rpcUrl: net.chain.rpcUrl, privateKey: HOSTILE_KEY.privateKey, market: net.deployment.jobMarket, limits: PROVIDER_LIMITS });
  await registerOrUpdate(chain, { peerId: hostile.peerId.toMultihash().bytes, multiaddrs: hostile.multiaddrs.map((a) => a.toString()), askPrice: 1_000n });
  await addStake(chain, 100_000_000n);

  client = net.requester();
  await client.getNode();
  echo = new Uint8Array(await readFile(join(FIXTURES, "echo.wasm")));
}, 120_000);

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  await hostile?.stop();
  await client?.close();
  await net?.stop();
});

/** Watches a fresh job until every daemon and the hostile peer have had their say, then stops watching. */
async function declinesFor(spec: Partial<SubmitJobParameters>): Promise<Map<string, DeclinesEvent>> {
  const posted = await submitJob(client, { module: echo, replicas: 1, maxPrice: 500_000n, ...spec });
  const said = new Map<string, DeclinesEvent>();
  const want = [...daemons.map((d) => d.info.address), HOSTILE_KEY.address];
  for await (const ev of watchJob(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, signal: AbortSignal.timeout(90_000) })) {
    expect(ev.type).not.toBe("bid");
    if (ev.type !== "declines") continue;
    said.set(ev.provider.toLowerCase(), ev);
    if (want.every((a) => said.has(a.toLowerCase()))) break;
  }
  return said;
}

const answerOf = (ev: DeclinesEvent | undefined) => {
  if (!ev?.reply.ok) throw new Error(`expected an answer, got ${ev?.reply.ok === false ? ev.reply.error.message : "nothing"}`);
  return ev.reply.answer;
};

describe("watchJob with providers that decline", { timeout: 120_000 }, () => {
  it("yields each provider's structured reason: the commit window the job would need", async () => {
    const said = await declinesFor({ limits: HEAVY, commitWindow: 60 });
    for (const d of daemons) {
      const answer = answerOf(said.get(d.info.address.toLowerCase()));
      expect(answer.status).toBe("declined");
      expect(answer.reasons).toEqual([{ code: "window", commitWindowSeconds: 60, needSeconds: 100, estRunMs: 50_000, message: expect.stringMatching(/commit window of at least 100 s/) }]);
    }
    // The hostile peer's answer is refused with a reason, and the watch went on past it.
    const bad = said.get(HOSTILE_KEY.address.toLowerCase())!;
    expect(bad.reply.ok).toBe(false);
    if (!bad.reply.ok) {
      expect(bad.reply.error).toBeInstanceOf(InvalidDeclinesAnswerError);
      expect(bad.reply.error.message).toMatch(/sent an invalid answer to \/accord\/declines\/1\.0\.0/);
    }
  });

  it("yields the price a provider asks, with its breakdown, when the job pays less", async () => {
    const said = await declinesFor({ limits: { fuel: 1_000_000, memoryPages: 64, wallClockMs: 10_000 }, maxPrice: 1n });
    for (const d of daemons) {
      const answer = answerOf(said.get(d.info.address.toLowerCase()));
      // 1e6 fuel at 1000 per 1e9 rounds up to 1; 64 pages are 4 MiB at 1 a MiB; the module, 1 MiB at 1.
      expect(answer.reasons).toEqual([{ code: "price", maxPrice: "1", price: "6", breakdown: { fuel: "1", memory: "4", input: "1", minPrice: "1" }, message: expect.stringMatching(/pays at most 1 per replica, this node asks 6/) }]);
    }
  });
});

describe("accord job submit", { timeout: 180_000 }, () => {
  it("shows the providers' reasons live, and again with the no-bids exit once the job expires", async () => {
    const work = join(net.dir, "cli");
    await mkdir(work, { recursive: true });
    const d = net.deployment;
    await writeFile(join(work, "config.json"), JSON.stringify({ rpcUrl: d.rpcUrl, chainId: d.chainId, jobMarket: d.jobMarket, token: d.token, startBlock: d.startBlock }));
    const env = { ACCORD_CONFIG: join(work, "config.json"), ACCORD_PRIVATE_KEY: DEV_ACCOUNTS[DEV_ROLES.requesters[1]]!.privateKey };
    const cli = startCli(["job", "submit", join(FIXTURES, "echo.wasm"), "--max-price", "0.5", "--fuel", String(HEAVY.fuel), "--memory-pages", "64", "--wall-clock-ms", String(HEAVY.wallClockMs), "--commit-window", "60", "--out", join(work, "out")], env, work);
    await cli.waitFor(/posted job/, 60_000);
    for (const daemon of daemons) await cli.waitFor(new RegExp(`${daemon.info.address.slice(0, 6)}\\S* declines: the job needs a commit window of at least 100 s`), 60_000);
    await cli.waitFor(/could not say why it has not bid: .*sent an invalid answer/, 60_000);

    await increaseTime(net.publicClient, 61); // past the fill timeout: the CLI claims the job and it expires
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(EXIT.NO_BIDS);
    expect(run.stderr).toMatch(/Provider 0x[0-9a-fA-F]{40} declined: the job needs a commit window of at least 100 s/);
    expect(run.stderr).toMatch(/What to do: Submit again with --commit-window 100 or more/);
  });
});

// The requester SDK and the `accord` CLI (as a child process) against real provider daemons
// (`accord-provider start`, child processes) on Hardhat's chain.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { registerProvider, spawnProvider, type ProviderProcess } from "../provider/harness.ts";
import { dryRun } from "../../client/src/actions/dryRun.ts";
import { submitJob } from "../../client/src/actions/submitJob.ts";
import { waitForResult } from "../../client/src/actions/waitForResult.ts";
import type { AccordClient } from "../../client/src/client.ts";
import { EXIT } from "../../client/src/cli/exitCodes.ts";
import { increaseTime, startDevnet, type Devnet } from "../devnet.ts";
import { runCli, startCli } from "./cli.ts";
import { settleEverything } from "../e2e/conservation.ts";

const FIXTURES = join(import.meta.dirname, "../../client/fixtures/wasm");
const LIMITS = { fuel: 50_000_000, memoryPages: 64, wallClockMs: 10_000 };
const DATA = "pear\napple\nfig\n";

let net: Devnet;
let client: AccordClient;
let cliEnv: Record<string, string>;
let work: string;
const daemons: ProviderProcess[] = [];
/** Posts the 1-of-1 job; the wrong-result daemon denies it. */
const ONE_OF_ONE_REQUESTER = DEV_ROLES.requesters[2]!;

beforeAll(async () => {
  net = await startDevnet({ parameters: { collateralRatioBps: 10_000 } });
  const keys = DEV_ACCOUNTS.slice(DEV_ROLES.providers[0], DEV_ROLES.providers[0] + 3);
  await Promise.all(keys.map((k) => registerProvider(net.chain.rpcUrl, net.deployment.jobMarket, k.privateKey)));
  daemons.push(
    ...(await Promise.all(
      // The wrong-result daemon never bids for the 1-of-1 test's requester: the first bid wins a
      // 1-of-1 job, and which daemon bids first is a race.
      keys.map((k, i) => spawnProvider({ rpcUrl: net.chain.rpcUrl, market: net.deployment.jobMarket, privateKey: k.privateKey, args: i === 2 ? ["--fault", "wrong-result", "--deny-requesters", DEV_ACCOUNTS[ONE_OF_ONE_REQUESTER]!.address] : [] })),
    )),
  );
  client = net.requester();

  work = join(net.dir, "cli");
  await mkdir(work, { recursive: true });
  await writeFile(join(work, "data.txt"), DATA);
  const d = net.deployment;
  await writeFile(join(work, "config.json"), JSON.stringify({ rpcUrl: d.rpcUrl, chainId: d.chainId, jobMarket: d.jobMarket, token: d.token, startBlock: d.startBlock }));
  cliEnv = { ACCORD_CONFIG: join(work, "config.json"), ACCORD_PRIVATE_KEY: DEV_ACCOUNTS[DEV_ROLES.requesters[1]]!.privateKey };
});

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  await client?.close();
  await net?.stop();
});

describe("the SDK with provider daemons", () => {
  it("gets a verified 1-of-1 result", async () => {
    const module = new Uint8Array(await readFile(join(FIXTURES, "sort.wasm")));
    const spec = { module, inputs: { "data.txt": new TextEncoder().encode(DATA) }, limits: LIMITS };
    const honestOnly = net.requester(ONE_OF_ONE_REQUESTER);
    try {
      const dry = await dryRun(honestOnly, spec);
      const posted = await submitJob(honestOnly, { ...spec, replicas: 1, maxPrice: 500_000n });
      const r = await waitForResult(honestOnly, { jobId: posted.jobId, fromBlock: posted.blockNumber, timeoutMs: 60_000 });
      expect(r.resultCid).toBe(dry.resultCid.toString());
      expect(new TextDecoder().decode(r.files["sorted.txt"])).toBe("apple\nfig\npear\n");
    } finally {
      await honestOnly.close();
    }
  });

  it("gets the 2-of-3 consensus past a provider that returns a wrong result", async () => {
    const module = new Uint8Array(await readFile(join(FIXTURES, "echo.wasm")));
    const posted = await submitJob(client, { module, stdin: new TextEncoder().encode("hello accord"), limits: LIMITS, replicas: 3, quorum: 2, maxPrice: 500_000n });
    const r = await waitForResult(client, { jobId: posted.jobId, fromBlock: posted.blockNumber, timeoutMs: 60_000 });
    expect(new TextDecoder().decode(r.stdout)).toBe("hello accord");
    const outcomes = r.job.outcomes.map((o) => o.outcome).sort();
    expect(outcomes).toEqual(["Agreed", "Agreed", "Dissented"]);
    expect(r.provider).not.toBe(daemons[2]!.info.address);
  });
});

describe("the accord CLI", () => {
  it("submits a 2-of-3 job, shows each step and writes the verified result", async () => {
    const out = join(work, "out");
    const run = await runCli(
      ["job", "submit", join(FIXTURES, "sort.wasm"), "--input", "data.txt", "--replicas", "3", "--quorum", "2", "--max-price", "0.5", "--fuel", "50000000", "--memory-pages", "64", "--out", out],
      cliEnv,
      work,
    );
    expect(run.code, run.stderr).toBe(EXIT.OK);
    for (const step of [/uploaded module .*sort\.wasm: [\d.]+ (B|KiB|MiB) in \d+ ms \(.*\/s\)/, /uploaded input data\.txt/, /posted job \d+ in block \d+ \(tx 0x[0-9a-f]{64}\)/, /bids 3 for 3 replica/, /awarded to 3/, /commits 3\/3/, /reveals 3\/3/, /settled: Succeeded/, /matches the on-chain consensus/, /result written to/])
      expect(run.stderr).toMatch(step);
    expect(run.stderr + run.stdout).not.toContain(cliEnv.ACCORD_PRIVATE_KEY!.slice(2));
    expect(await readFile(join(out, "files", "sorted.txt"), "utf8")).toBe("apple\nfig\npear\n");
    expect(JSON.parse(await readFile(join(out, "result.json"), "utf8"))).toMatchObject({ exitCode: 0, status: { kind: "exit", code: 0 } });

    const jobId = /posted job (\d+)/.exec(run.stderr)![1]!;
    const status = await runCli(["--json", "job", "status", jobId], cliEnv, work);
    expect(status.code).toBe(EXIT.OK);
    expect(JSON.parse(status.stdout)).toMatchObject({ jobId, state: "Succeeded", replicas: 3, quorum: 2 });
    const list = await runCli(["--json", "job", "list"], cliEnv, work);
    expect(JSON.parse(list.stdout).map((j: { jobId: string }) => j.jobId)).toContain(jobId);
    const providers = await runCli(["--json", "providers"], cliEnv, work);
    expect(JSON.parse(providers.stdout)).toHaveLength(3);
  });

  it("exits with the no-bids code and says why when no provider qualifies", async () => {
    const cli = startCli(["job", "submit", join(FIXTURES, "echo.wasm"), "--min-reputation", "10000", "--max-price", "0.5", "--fuel", "1000000", "--memory-pages", "64", "--out", join(work, "none")], cliEnv, work);
    await cli.waitFor(/posted job/);
    await increaseTime(net.publicClient, 61); // past the fill timeout: the CLI claims the job and it expires
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(EXIT.NO_BIDS);
    expect(run.stderr).toMatch(/got 0 bid\(s\) but needed 1/);
    expect(run.stderr).toMatch(/3 provider\(s\) have a reputation below the job's minimum of 10000 bps/);
    expect(run.stderr).toMatch(/What to do: Lower --min-reputation/);

    // The escrow (0.5 plus the 1 % fee) came back, on top of what the earlier job left over.
    const balance = await runCli(["--json", "balance"], cliEnv, work);
    const withdrawable = BigInt(JSON.parse(balance.stdout).withdrawable);
    expect(withdrawable).toBeGreaterThanOrEqual(505_000n);
    const withdrawn = await runCli(["--json", "withdraw"], cliEnv, work);
    expect(withdrawn.code).toBe(EXIT.OK);
    expect(BigInt(JSON.parse(withdrawn.stdout).amount)).toBe(withdrawable);
  });

  it("refuses bad input before sending anything, with a usage exit code", async () => {
    const price = await runCli(["job", "submit", join(FIXTURES, "echo.wasm"), "--max-price", "half"], cliEnv, work);
    expect(price.code).toBe(EXIT.USAGE);
    expect(price.stderr).toMatch(/"half" is not a token amount/);
    const missing = await runCli(["--json", "job", "dry-run", join(work, "nope.wasm")], cliEnv, work);
    expect(missing.code).toBe(EXIT.USAGE);
    expect(JSON.parse(missing.stdout).error.fix).toMatch(/readable regular file/);
    const help = await runCli(["job", "status", "--help"], cliEnv, work);
    expect(help.code).toBe(EXIT.OK);
    expect(help.stdout).toMatch(/Usage: accord job status/);
  });
});

describe("the market after these jobs", () => {
  it("leaves every token accounted for, and nothing locked past the deadlines", async () => {
    await settleEverything({ client: net.publicClient, deployment: net.deployment, rpcUrl: net.chain.rpcUrl });
  });
});

// Issue #18: bags of tasks. A Hardhat chain, three real `accord-provider start` daemons, and the
// requester's `accord run` (a child process, killed mid-run and resumed) and `runTasks` (the SDK).
// Whether a task was posted twice is read from the chain's JobPosted events, not from the run's
// own account of itself.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { registerProvider, spawnProvider, type ProviderProcess } from "../provider/harness.ts";
import { startDevnet, type Devnet } from "../devnet.ts";
import { runCli, startCli } from "../requester/cli.ts";
import { cidText, getMarketEvents } from "../../client/src/chain/events.ts";
import { EXIT } from "../../client/src/cli/exit.ts";
import { parseTaskSpec } from "../../client/src/tasks/spec.ts";
import { runTasks, type RunTasksItem } from "../../client/src/tasks/run.ts";
import { TaskStateFile, type RunState } from "../../client/src/tasks/state.ts";
import type { AccordClient } from "../../client/src/client.ts";
import { dryRun } from "../../client/src/actions/dryRun.ts";
import { assemble, parseTile } from "../../examples/tiles/assemble.ts";

const FIXTURES = join(import.meta.dirname, "../../client/fixtures/wasm");
const CLI_KEY = DEV_ACCOUNTS[DEV_ROLES.requesters[1]]!;
let net: Devnet;
let work: string;
let client: AccordClient;
const daemons: ProviderProcess[] = [];

beforeAll(async () => {
  net = await startDevnet({ parameters: { collateralRatioBps: 10_000 } });
  const keys = DEV_ACCOUNTS.slice(DEV_ROLES.providers[0], DEV_ROLES.providers[0] + 3);
  await Promise.all(keys.map((k) => registerProvider(net.chain.rpcUrl, net.deployment.jobMarket, k.privateKey)));
  daemons.push(...(await Promise.all(keys.map((k) => spawnProvider({ rpcUrl: net.chain.rpcUrl, market: net.deployment.jobMarket, privateKey: k.privateKey })))));
  work = join(net.dir, "tasks");
  await mkdir(work, { recursive: true });
  await copyFile(join(FIXTURES, "echo.wasm"), join(work, "echo.wasm"));
  const d = net.deployment;
  await writeFile(join(work, "config.json"), JSON.stringify({ rpcUrl: net.chain.rpcUrl, chainId: d.chainId, jobMarket: d.jobMarket, token: d.token, startBlock: d.startBlock }));
  client = net.requester();
  await client.getNode();
}, 180_000);

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.kill()));
  await net?.stop();
});

const cliEnv = (data: string) => ({ ACCORD_CONFIG: join(work, "config.json"), ACCORD_PRIVATE_KEY: CLI_KEY.privateKey, ACCORD_DATA_DIR: join(work, data) });

/** Every job the requester posted from `fromBlock` on, by manifest CID. */
async function postsBy(requester: Address, fromBlock: bigint): Promise<Map<string, bigint[]>> {
  const head = await net.publicClient.getBlockNumber({ cacheTime: 0 });
  const events = await getMarketEvents(net.publicClient, { address: net.deployment.jobMarket, fromBlock, toBlock: head, events: ["JobPosted"], args: { requester } });
  const byCid = new Map<string, bigint[]>();
  for (const ev of events) {
    const cid = cidText(ev.args.manifestCid);
    byCid.set(cid, [...(byCid.get(cid) ?? []), ev.args.jobId]);
  }
  return byCid;
}

const readState = async (file: string) => JSON.parse(await readFile(file, "utf8")) as RunState;

describe("accord run", { timeout: 300_000 }, () => {
  it("refuses a spec with bad entries whole, naming each, before anything is posted or paid", async () => {
    const spec = join(work, "bad.json");
    await writeFile(
      spec,
      JSON.stringify({
        module: "echo.wasm",
        trust: { replicas: 2, quorum: 1 },
        price: { maxPrice: "0.5" },
        tasks: [{ name: "a" }, { name: "a" }, { name: "b", inputs: { "data.csv": "missing.csv" } }, { name: "c", env: { "A=B": "x" } }],
      }),
    );
    const from = await net.publicClient.getBlockNumber({ cacheTime: 0 });
    const r = await runCli(["run", spec, "--yes", "--out", join(work, "bad-out")], cliEnv("data-bad"), work);
    expect(r.code, r.stderr).toBe(EXIT.USAGE);
    expect(r.stderr).toContain("4 problem(s); nothing was posted or paid");
    for (const where of ["trust.quorum:", "tasks[1].name:", 'tasks[2].inputs["data.csv"]:', "tasks[3] (manifest env"]) expect(r.stderr).toContain(where);
    expect(r.stderr).not.toMatch(/chain \d+/); // refused before it even connected
    expect((await postsBy(CLI_KEY.address, from)).size).toBe(0);
    expect(existsSync(join(work, "bad-out.accord-run.json"))).toBe(false);
  });

  it("shows the estimate and asks before paying; with no terminal to ask on and no --yes, pays nothing", async () => {
    const spec = join(work, "ask.json");
    await writeFile(spec, JSON.stringify({ module: "echo.wasm", trust: { replicas: 2 }, price: { maxPrice: "0.5" }, maxAttempts: 2, tasks: [{ name: "a" }, { name: "b" }] }));
    const from = await net.publicClient.getBlockNumber({ cacheTime: 0 });
    const r = await runCli(["run", spec, "--out", join(work, "ask-out")], cliEnv("data-ask"), work);
    expect(r.code, r.stderr).toBe(EXIT.USAGE);
    // 2 tasks x 2 replicas x 0.5, plus the devnet's 1 % fee, twice at most (maxAttempts 2).
    expect(r.stderr).toContain("2 task(s) to run × 2 replica(s), at most 0.5 tUSD per replica");
    expect(r.stderr).toContain("at most 4.04 tUSD if every task took all 2 attempt(s)");
    expect(r.stderr).toContain("stdin is not a terminal");
    expect(r.stderr).toContain("--yes");

    // Trust by confidence: 0.1^3 = 1e-3, so 99.9 % against the default 10 % share is three replicas that must all agree.
    await writeFile(spec, JSON.stringify({ module: "echo.wasm", trust: { confidence: 0.999 }, price: { maxPrice: "0.5" }, maxAttempts: 2, tasks: [{ name: "a" }, { name: "b" }] }));
    const c = await runCli(["run", spec, "--out", join(work, "ask-out")], cliEnv("data-ask"), work);
    expect(c.code, c.stderr).toBe(EXIT.USAGE);
    expect(c.stderr).toContain("3 replica(s), all must agree: for confidence 99.9 % against colluders holding 10 % of the stake, P(wrong result accepted) 1.0e-3");
    expect(c.stderr).toContain("2 task(s) to run × 3 replica(s), at most 0.5 tUSD per replica");
    // The plan lets each task escalate to 6 replicas, so each escrow covers 6: 2 tasks × 6 × 0.5 + 1 % fee, twice.
    expect(c.stderr).toContain("up to 6 replica(s) in all (its escrow covers them)");
    expect(c.stderr).toContain("at most 12.12 tUSD if every task took all 2 attempt(s)");
    expect((await postsBy(CLI_KEY.address, from)).size).toBe(0);
  });

  it("resumes a run interrupted (Ctrl-C) and killed (SIGKILL) mid-way without posting any task twice, and writes every verified result", async () => {
    const spec = join(work, "sweep.json");
    const N = 12;
    await writeFile(
      spec,
      JSON.stringify({ module: "echo.wasm", trust: { replicas: 2, quorum: 2 }, price: { maxPrice: "0.5" }, generate: { range: { from: 1, to: N } }, task: { name: "n{value}", args: ["{value}"], env: { INDEX: "{index}" } } }),
    );
    const out = join(work, "sweep-out");
    const stateFile = join(work, "sweep-out.accord-run.json");
    const from = await net.publicClient.getBlockNumber({ cacheTime: 0 });
    const args = ["run", spec, "--yes", "--out", out, "--max-active", "4"];
    // Ctrl-C: the run stops at once, says how to resume, and leaves its state on disk.
    const first = startCli(args, cliEnv("data-sweep"), work);
    await first.waitFor(/✓ posted [1-9]\d* task\(s\)/, 120_000);
    first.kill("SIGINT");
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(EXIT.INTERRUPTED);
    expect(stopped.stderr).toContain("run the same command again to resume");
    const before = await readState(stateFile);
    expect(Object.values(before.tasks).filter((t) => t.status === "done").length).toBeLessThan(N);
    // A power cut: killed without a chance to write anything, right after it resumed.
    const second = startCli(args, cliEnv("data-sweep"), work);
    await second.waitFor(/✓ resumed: /, 120_000);
    await killCli(second);

    const third = await runCli(args, cliEnv("data-sweep"), work);
    expect(third.code, third.stderr).toBe(EXIT.OK);
    expect(third.stderr).toMatch(/✓ resumed: /);
    expect(third.stdout).toContain(`${N} of ${N} task(s) verified`);

    const state = await readState(stateFile);
    const posts = await postsBy(CLI_KEY.address, from);
    for (let v = 1; v <= N; v++) {
      const rec = state.tasks[`n${v}`]!;
      expect(rec.status).toBe("done");
      // Each attempt's manifest was posted exactly once, as the job the state records. A task may
      // have needed a second attempt, but only because its first job expired: one posted just
      // before the interruption can find its content gone with the requester's node.
      const story = `n${v}: ${rec.attempts.map((a) => `#${a.n} ${a.outcome ?? a.status}: ${a.reason ?? ""}`).join(" | ")}`;
      for (const a of rec.attempts) expect(posts.get(a.manifestCid), story).toEqual([BigInt(a.jobId!)]);
      for (const a of rec.attempts.slice(0, -1)) expect(a.outcome, story).toBe("Expired");
      expect(rec.attempts.at(-1)!.outcome, story).toBe("Succeeded");
      const stderr = await readFile(join(out, `n${v}`, "stderr"), "utf8");
      expect(stderr).toContain(`arg 1=${v}\n`);
      expect(stderr).toContain(`env INDEX=${v - 1}\n`);
      const meta = JSON.parse(await readFile(join(out, `n${v}`, "result.json"), "utf8"));
      expect(meta.resultCid).toBe(rec.resultCid);
    }
    expect([...posts.values()].flat()).toHaveLength(Object.values(state.tasks).reduce((n, t) => n + t.attempts.length, 0));
  });

  it("reports a task no provider will take with the providers' reasons, does not post it again, and its escrow comes back", async () => {
    const spec = join(work, "heavy.json");
    // 10e9 fuel needs more than the 60 s commit window at the daemons' speed: they decline it.
    await writeFile(
      spec,
      JSON.stringify({
        module: "echo.wasm",
        trust: { replicas: 2 },
        price: { maxPrice: "0.5" },
        windows: { commit: 60 },
        limits: { fuel: 100_000_000 },
        maxAttempts: 3,
        tasks: [{ name: "light", args: ["x"] }, { name: "heavy", limits: { fuel: 10_000_000_000, memoryPages: 64, wallClockMs: 60_000 } }],
      }),
    );
    const out = join(work, "heavy-out");
    const r = await runCli(["run", spec, "--yes", "--out", out], cliEnv("data-heavy"), work);
    expect(r.code, r.stderr).toBe(EXIT.JOB_FAILED);
    expect(r.stderr).toMatch(/heavy \(job \d+\) got too few bids: .*declined/);
    expect(r.stderr).toMatch(/heavy given up: .*commit window/i);
    expect(r.stderr).toContain("not posted again");
    expect(r.stdout).toContain("1 of 2 task(s) verified");
    const state = await readState(join(work, "heavy-out.accord-run.json"));
    expect(state.tasks.light!.status).toBe("done");
    const heavy = state.tasks.heavy!;
    expect(heavy.status).toBe("failed");
    expect(heavy.attempts).toHaveLength(1);
    expect(heavy.attempts[0]!.outcome).toBe("Expired");
    expect(heavy.attempts[0]!.refunded).toBe(heavy.attempts[0]!.escrow);
    expect(existsSync(join(out, "light", "stdout"))).toBe(true);
    expect(existsSync(join(out, "heavy"))).toBe(false);
  });
});

describe("the tiled renderer example", { timeout: 300_000 }, () => {
  it("renders on the market, verified tile by tile, into the picture the local sandbox renders", async () => {
    const dir = join(work, "tiles");
    await mkdir(dir, { recursive: true });
    const example = JSON.parse(await readFile(join(import.meta.dirname, "../../examples/tiles/tiles.json"), "utf8"));
    await copyFile(join(import.meta.dirname, "../../examples/tiles/render.wasm"), join(dir, "render.wasm"));
    // The example's spec on a 2 x 2 grid of a smaller picture, at a fixed price and two replicas.
    const args = ["render", "--size", "96", "--tiles", "2", "--iterations", "64"];
    await writeFile(join(dir, "tiles.json"), JSON.stringify({ ...example, args, trust: { replicas: 2 }, price: { maxPrice: "0.5" }, generate: { range: { from: 0, to: 3 } } }));
    const out = join(dir, "out");
    const r = await runCli(["run", join(dir, "tiles.json"), "--yes", "--out", out], cliEnv("data-tiles"), dir);
    expect(r.code, r.stderr).toBe(EXIT.OK);

    const module = new Uint8Array(await readFile(join(dir, "render.wasm")));
    const market = [];
    const local = [];
    for (let i = 0; i < 4; i++) {
      market.push(parseTile(new Uint8Array(await readFile(join(out, `tile-${i}`, "stdout"))), `tile-${i}`));
      local.push(parseTile((await dryRun(client, { module, args: [...args, String(i)], limits: example.limits })).stdout, `local ${i}`));
    }
    const picture = assemble(market);
    expect(picture.size).toBe(96);
    expect(Buffer.from(picture.rgb).equals(Buffer.from(assemble(local).rgb))).toBe(true);
    // Not a blank picture: the set (black) and its outside (coloured) are both there.
    const blacks = picture.rgb.filter((_, j) => j % 3 === 0 && picture.rgb[j] === 0 && picture.rgb[j + 1] === 0 && picture.rgb[j + 2] === 0).length;
    expect(blacks).toBeGreaterThan(96 * 96 * 0.1);
    expect(blacks).toBeLessThan(96 * 96 * 0.5);
  });
});

describe("runTasks", { timeout: 300_000 }, () => {
  it("yields every verified result; a post recorded as in flight when the run died is found on the chain, not posted again", async () => {
    const bag = await parseTaskSpec(
      { module: "echo.wasm", inputs: { "shared.txt": "echo.wasm" }, trust: { replicas: 2 }, price: { maxPrice: "0.5" }, generate: { range: { from: 0, to: 4 } }, task: { args: ["{value}"] } },
      { baseDir: work },
    );
    const stateFile = join(work, "sdk.accord-run.json");
    const owner = client.account!.address;
    const from = await net.publicClient.getBlockNumber({ cacheTime: 0 });
    const results: RunTasksItem[] = [];
    for await (const item of runTasks(client, bag, { state: stateFile })) results.push(item);
    expect(results.map((r) => r.ok && r.task).sort()).toEqual(["task-0", "task-1", "task-2", "task-3", "task-4"]);
    for (const r of results) if (r.ok) expect(new TextDecoder().decode(r.stderr)).toContain(`arg 1=${r.task.slice(5)}\n`);

    // The crash between signing a post and recording its job: the record says "posting".
    const state = await readState(stateFile);
    const a = state.tasks["task-2"]!.attempts[0]!;
    state.tasks["task-2"]!.status = "active";
    const since = a.postedBlock!;
    for (const k of ["jobId", "postedBlock", "escrow", "outcome", "paid", "fee", "refunded"] as const) delete a[k];
    Object.assign(a, { status: "posting", since });
    await writeFile(stateFile, JSON.stringify(state));
    const postsBefore = await postsBy(owner, from);

    const events: string[] = [];
    const again: RunTasksItem[] = [];
    for await (const item of runTasks(client, bag, { state: stateFile, onEvent: (ev) => events.push(ev.type) })) again.push(item);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ ok: true, task: "task-2" });
    expect(events).toContain("resumed");
    expect(events).not.toContain("posted");
    const postsAfter = await postsBy(owner, from);
    expect([...postsAfter.values()].flat()).toEqual([...postsBefore.values()].flat());
    expect(postsAfter.get(a.manifestCid)).toHaveLength(1);
    expect((await readState(stateFile)).tasks["task-2"]!.status).toBe("done");
  });

  it("resumes a run whose first task has no attempt left: gives that one up with its reason and still runs the others", async () => {
    const bag = await parseTaskSpec(
      { module: "echo.wasm", trust: { replicas: 1 }, price: { maxPrice: "0.5" }, maxAttempts: 1, generate: { range: { from: 0, to: 1 } }, task: { name: "last-{value}", args: ["{value}"] } },
      { baseDir: work },
    );
    const stateFile = join(work, "exhausted.accord-run.json");
    const owner = client.account!.address;
    const file = await TaskStateFile.open(stateFile, bag, { chainId: client.chain.id, market: client.deployment.jobMarket, requester: owner });
    // As a run that stopped right after the market refused last-0's only attempt leaves it.
    file.state.tasks["last-0"] = { ...file.state.tasks["last-0"]!, status: "active", attempts: [{ n: 1, manifestCid: "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq", status: "refused", reason: "the market refused the post: PriceTooLow" }] };
    await file.close();

    const items: RunTasksItem[] = [];
    for await (const item of runTasks(client, bag, { state: stateFile })) items.push(item);
    expect(items.map((i) => [i.task, i.ok]).sort()).toEqual([["last-0", false], ["last-1", true]]);
    expect(items.find((i) => !i.ok)).toMatchObject({ reason: "the market refused the post: PriceTooLow" });
    const state = await readState(stateFile);
    expect([state.tasks["last-0"]!.status, state.tasks["last-1"]!.status]).toEqual(["failed", "done"]);
  });
});

/** SIGKILL: no handler runs, as when a machine dies. */
async function killCli(h: ReturnType<typeof startCli>): Promise<void> {
  h.kill("SIGKILL");
  await h.done;
}

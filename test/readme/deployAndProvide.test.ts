// Issue #15: the README's "Deploy to another chain, and run providers there", run word for word on
// a fresh anvil mining a block a second. The shell block is read from README.md itself, so the
// README and this test cannot drift: it deploys the market, sets up three providers (own data
// folders, keys, ports), funds them and a requester with `accord fund`, and posts a job whose
// result the requester verifies against the on-chain consensus.
//
// What the test changes, and only that: the ports the block names (the chain's 8545, and the bases
// 4000 and 9460 of the providers' libp2p and metrics ports) become free ones, so the block runs
// beside anything else on the host; HOME is a temporary folder (the block's ~/accord); the
// deployment file goes to a temporary folder (ACCORD_DEPLOYMENTS_DIR) and the chain gets an id of
// its own, so nothing of a real deployment or of `npm start` is touched.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createPublicClient, http, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getMarketEvents, JOB_STATES, readJob } from "../../client/src/chain/index.ts";
import { startChain, type Chain } from "../../scripts/devnet/chain.ts";
import { freePort } from "../../scripts/devnet/ports.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const SECTION = "## Deploy to another chain, and run providers there";
/** The ports the block names, by role; each is replaced by a free one. */
const PORTS = { rpc: 8545, p2pBase: 4000, metricsBase: 9460 } as const;
/** Providers the block starts (ports base + 1 .. base + PROVIDERS). */
const PROVIDERS = 3;
const RUN_TIMEOUT_MS = 15 * 60_000;

/** The first ```sh block of the README's section. */
function readmeBlock(readme: string): string {
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no section "${SECTION}"; this test runs its shell block, so follow the rename here.`);
  const next = readme.indexOf("\n## ", start + SECTION.length);
  const body = readme.slice(start + SECTION.length, next < 0 ? undefined : next);
  const m = /```sh\n([\s\S]*?)```/.exec(body);
  if (!m) throw new Error(`README.md's section "${SECTION}" has no \`\`\`sh block`);
  return m[1]!;
}

/** `count` consecutive ports after `base`, all free a moment ago. */
async function freeRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const ok = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        new Promise<boolean>((done) => {
          const s = createServer().once("error", () => done(false));
          s.listen(base + 1 + i, "0.0.0.0", () => s.close(() => done(true)));
        }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error(`found no ${count} free consecutive ports`);
}

let chain: Chain;
let home: string;
let deployments: string;
const chainId = 900_000 + Math.floor(Math.random() * 99_999);
let run: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  const block = readmeBlock(readFileSync(join(ROOT, "README.md"), "utf8"));
  const rpcPort = await freePort();
  const ports: Record<keyof typeof PORTS, number> = { rpc: rpcPort, p2pBase: await freeRun(PROVIDERS), metricsBase: await freeRun(PROVIDERS) };
  let script = block;
  for (const [role, port] of Object.entries(PORTS) as Array<[keyof typeof PORTS, number]>) {
    const re = new RegExp(`\\b${port}\\b`, "g");
    if (!re.test(script)) throw new Error(`the README's block no longer names port ${port} (${role}); update PORTS in this test to the ports it uses`);
    script = script.replace(re, String(ports[role]));
  }

  chain = await startChain({ engine: "anvil", blockTime: 1, chainId, port: rpcPort });
  home = mkdtempSync(join(tmpdir(), "accord-readme-home-"));
  deployments = mkdtempSync(join(tmpdir(), "accord-readme-deployments-"));
  // The user's shell: none of this process's ACCORD_* settings, Node 24 first on PATH (as npx gives).
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ACCORD_")));
  Object.assign(env, {
    HOME: home,
    PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
    ACCORD_DEPLOYMENTS_DIR: deployments,
    HARDHAT_DISABLE_TELEMETRY: "true",
    npm_config_update_notifier: "false",
  });
  // One shell runs the block in order, stopping at the first failing line (-e) and echoing each
  // (-x) with the seconds since the block began (bash, as root, takes PS4 from no environment).
  const traced = `PS4='+ README \${SECONDS}s: '; set -x\n${script}`;
  const child = spawn("bash", ["-euo", "pipefail", "-c", traced], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), RUN_TIMEOUT_MS);
  run = await new Promise((done) => child.once("exit", (code) => done({ code, stdout, stderr })));
  clearTimeout(timer);
  const at = (re: RegExp) => new RegExp(`^\\+ README (\\d+)s: .*${re.source}`, "m").exec(stderr)?.[1] ?? "?";
  console.info(`README block: deploy at ${at(/npm run deploy/)} s, providers from ${at(/accord-provider init/)} s, job submitted at ${at(/accord job submit/)} s, status at ${at(/accord-provider status/)} s, ended at ${at(/kill/)} s`);
  // The block stops its providers itself; anything left of its process group goes now.
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    /* all gone */
  }
}, RUN_TIMEOUT_MS + 120_000);

afterAll(async () => {
  await chain?.stop();
  for (const dir of [home, deployments]) if (dir) rmSync(dir, { recursive: true, force: true });
  rmSync(join(ROOT, "ignition", "deployments", `accord-${chainId}`), { recursive: true, force: true });
});

describe("the README's deploy-and-provide section, on a fresh anvil with 1 s blocks", () => {
  it("runs to its end, every line succeeding", () => {
    expect(run.code, `the block failed; its output (each line it ran is marked "+ README <seconds>s:"):\n${run.stderr.slice(-6000)}\n${run.stdout.slice(-2000)}`).toBe(0);
  });

  it("posted a job that three providers took and a quorum of them settled, and the requester verified its result", async () => {
    expect(run.stderr).toMatch(/✓ result \S+ from \S+ matches the on-chain consensus/);
    const jobId = BigInt(/posted job (\d+)/.exec(run.stderr)![1]!);
    const deployment = JSON.parse(readFileSync(join(deployments, `${chainId}.json`), "utf8")) as { jobMarket: Address; startBlock: number };
    const client = createPublicClient({ transport: http(chain.rpcUrl) });
    expect((await readJob(client, deployment.jobMarket, jobId)).state).toBe("Succeeded");
    const events = await getMarketEvents(client, { address: deployment.jobMarket, fromBlock: BigInt(deployment.startBlock), toBlock: await client.getBlockNumber(), jobId });
    // The README posts three replicas with the default quorum of two: the second matching reveal
    // settles the job, so under load the third provider's reveal can arrive after settlement.
    const reveals = events.filter((e) => e.eventName === "Revealed").length;
    expect(reveals).toBeGreaterThanOrEqual(2);
    expect(reveals).toBeLessThanOrEqual(PROVIDERS);
    expect(events.filter((e) => e.eventName === "JobSettled").map((e) => JOB_STATES[Number((e.args as { state: number }).state)])).toEqual(["Succeeded"]);
    const sha = createHash("sha256").update(readFileSync(join(ROOT, "README.md"))).digest("hex");
    expect(readFileSync(join(home, "accord", "result", "stdout"), "utf8")).toContain(sha);
  });

  it("gave each provider its own data folder and key, and none acted with the requester's key", () => {
    const signers = new Set<string>();
    for (let i = 1; i <= PROVIDERS; i++) {
      const dir = join(home, "accord", `provider-${i}`);
      expect(existsSync(join(dir, "provider.key")), `${dir}/provider.key`).toBe(true);
      const said = new RegExp(`provider (0x[0-9a-fA-F]{40}) \\(key: ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/provider.key\\)`).exec(run.stderr);
      expect(said, `provider-${i} said which key it acts with`).not.toBeNull();
      signers.add(said![1]!.toLowerCase());
    }
    expect(signers.size).toBe(PROVIDERS);
    expect(signers.has("0x70997970c51812dc3a010c7d01b50e0d17dc79c8")).toBe(false);
  });
});

// The whole local marketplace: chain, contracts, provider daemons, web app and a sample job.
// `npm start` drives it; every part is a real process, as it would be on separate machines.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { Address } from "viem";
import type { Deployment } from "../../client/src/deployments.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "./accounts.ts";
import { DEFAULT_RPC_PORT, rpcAnswers, startChain, type Chain, type ChainEngine } from "./chain.ts";
import { deployAccord, writeDeployment } from "./deploy.ts";
import { runNode, startNode, type Managed } from "./processes.ts";
import type { RelayLimits } from "../../client/src/net/relay-limits.ts";
import { createKeyFile } from "../../provider-node/src/config/keyfile.ts";
import { KEY_FILE_NAME } from "../../provider-node/src/constants.ts";
import { FAULTS, type Fault } from "../../provider-node/src/faults.ts";
import { COLLUDER_PRICE_ARGS } from "./collusion.ts";

const require = createRequire(import.meta.url);
const ROOT = resolve(import.meta.dirname, "..", "..");
const PROVIDER_CLI = join(ROOT, "provider-node", "bin", "accord-provider.js");
const REQUESTER_CLI = join(ROOT, "client", "bin", "accord.js");
const WEB_DIR = join(ROOT, "web");

export const DEVNET_DIR = join(ROOT, ".devnet");
export const WEB_PORT = 3000;
export const P2P_BASE_PORT = 4100;
export const METRICS_BASE_PORT = 9464;
/**
 * Providers that relay for nodes behind NAT. On 127.0.0.1 no provider has a public address, so
 * "auto" would relay nowhere: the first is told to, as an operator with a public address would
 * be by default, so a node started with ACCORD_PRIVATE_ADDRESSES=false (standing for one behind
 * NAT) can reach the devnet through it.
 */
export const RELAY_PROVIDERS = 1;
/** Tokens each devnet provider stakes: enough collateral for many jobs at once. */
export const PROVIDER_STAKE_TOKENS = "10000";
// Five daemons loading at once on two busy cores took over a minute to print their first line
// (the collusion demo at load 15); a daemon that has not started in three is broken, not slow.
const PROVIDER_UP_TIMEOUT_MS = 180_000;
const WEB_UP_TIMEOUT_MS = 120_000;

/** The daemon's own list, so a fault added there can be shown here. */
export const FAULT_KINDS = FAULTS;
export type FaultKind = Fault;

export type DevnetOptions = {
  rpcPort?: number;
  /** The chain's node: Hardhat's (default) or anvil. */
  chain?: ChainEngine;
  /** Seconds between blocks, several transactions a block as on a live chain; absent: a block per transaction. */
  blockTime?: number;
  providers?: number;
  /** Faulty behaviour per provider index (0-based), for demos of the quorum at work. */
  faults?: Record<number, FaultKind>;
  web?: boolean;
  sampleJob?: boolean;
  tokenDecimals?: number;
  log?: (line: string) => void;
};

export type DevnetProvider = {
  index: number;
  address: Address;
  peerId: string;
  multiaddrs: string[];
  metricsUrl?: string;
  fault?: FaultKind;
  logFile: string;
  /** Set when the provider relays for nodes behind NAT: the limits it relays with. */
  relayLimits?: RelayLimits;
};
export type SampleJob = { jobId: string; state: string; resultCid: string; outDir: string; sorted?: string };

export type Devnet = {
  chain: Chain;
  deployment: Deployment;
  deploymentFile: string;
  providers: DevnetProvider[];
  webUrl?: string;
  sample?: SampleJob;
  /** Stops everything, newest first. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when a process of the devnet dies on its own. */
  died: Promise<string>;
};

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === ".next" || entry.name === "test") continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The web app needs a production build; rebuild only when its sources or the client changed. */
function webBuildIsCurrent(): boolean {
  const buildId = join(WEB_DIR, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return false;
  const built = statSync(buildId).mtimeMs;
  return newestMtime(WEB_DIR) < built && newestMtime(join(ROOT, "client", "src")) < built;
}

export async function startDevnet(o: DevnetOptions = {}): Promise<Devnet> {
  const log = o.log ?? (() => {});
  const count = o.providers ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > DEV_ROLES.providers.length) {
    throw new Error(`--providers must be between 1 and ${DEV_ROLES.providers.length} (one dev account each), not ${o.providers}.`);
  }
  for (const i of Object.keys(o.faults ?? {}).map(Number)) {
    if (i >= count) throw new Error(`a fault is set for provider ${i}, but only providers 0..${count - 1} run.`);
  }

  // Refuse before touching .devnet/: another devnet may be running on it.
  const rpcUrl = `http://127.0.0.1:${o.rpcPort ?? DEFAULT_RPC_PORT}`;
  if (await rpcAnswers(rpcUrl)) {
    throw new Error(`Something already answers JSON-RPC on ${rpcUrl}. Stop it (another \`npm start\`?) or choose another port with --rpc-port.`);
  }
  // A devnet chain is new at every start, so journals and content from the last one only mislead.
  rmSync(DEVNET_DIR, { recursive: true, force: true });
  const logs = join(DEVNET_DIR, "logs");
  mkdirSync(logs, { recursive: true });

  const managed: Managed[] = [];
  let stopped = false;
  let onDeath: (what: string) => void = () => {};
  const died = new Promise<string>((r) => (onDeath = r));
  const watch = (name: string, m: { child: { once(e: "exit", f: (code: number | null) => void): void } }) =>
    m.child.once("exit", (code) => !stopped && onDeath(`${name} exited (code ${code})`));
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const m of [...managed].reverse()) await m.stop().catch(() => {});
  };

  try {
    log(`starting the chain (${o.chain ?? "hardhat"}, ${o.blockTime ? `a block every ${o.blockTime} s` : "a block per transaction"})`);
    const chain = await startChain({ port: o.rpcPort ?? DEFAULT_RPC_PORT, engine: o.chain, blockTime: o.blockTime });
    managed.push({ name: "chain", child: chain.process, stop: chain.stop });
    watch("the chain", { child: chain.process });

    log("deploying the contracts with Hardhat Ignition");
    const deployment = await deployAccord({ rpcUrl: chain.rpcUrl, tokenDecimals: o.tokenDecimals ?? 6, blockTime: chain.blockTime });
    const deploymentFile = writeDeployment(deployment);
    const env = { ACCORD_RPC_URL: chain.rpcUrl, ACCORD_MARKET: deployment.jobMarket, NODE_ENV: "production" };

    log(`registering and staking ${count} providers`);
    const providers = await Promise.all(
      Array.from({ length: count }, async (_, index): Promise<DevnetProvider> => {
        const key = DEV_ACCOUNTS[DEV_ROLES.providers[index]!]!;
        const dataDir = join(DEVNET_DIR, `provider-${index}`);
        const logFile = join(logs, `provider-${index}.log`);
        const listen = `/ip4/127.0.0.1/tcp/${P2P_BASE_PORT + index}`;
        // Each daemon signs with its data folder's key file, as a provider set up by `init` does.
        createKeyFile(join(dataDir, KEY_FILE_NAME), key.privateKey);
        await runNode([PROVIDER_CLI, "register", "--data-dir", dataDir, "--listen", listen, "--json"], { env, logFile });
        await runNode([PROVIDER_CLI, "stake", PROVIDER_STAKE_TOKENS, "--data-dir", dataDir, "--json"], { env, logFile });
        const fault = o.faults?.[index];
        const args = [PROVIDER_CLI, "start", "--json", "--data-dir", dataDir, "--listen", listen, "--metrics-port", String(METRICS_BASE_PORT + index)];
        if (fault) args.push("--fault", fault);
        if (fault === "collude") args.push(...COLLUDER_PRICE_ARGS);
        if (index < RELAY_PROVIDERS) args.push("--relay", "on");
        const { managed: m, info } = await startNode(`provider ${index}`, args, {
          env,
          logFile,
          timeoutMs: PROVIDER_UP_TIMEOUT_MS,
          ready: (out) => {
            const nl = out.indexOf("\n");
            return nl < 0 ? undefined : (JSON.parse(out.slice(0, nl)) as { address: Address; peerId: string; multiaddrs: string[]; metricsUrl?: string; relayLimits?: RelayLimits });
          },
        });
        managed.push(m);
        watch(`provider ${index}`, m);
        return { index, address: info.address, peerId: info.peerId, multiaddrs: info.multiaddrs, metricsUrl: info.metricsUrl, fault, logFile, relayLimits: info.relayLimits };
      }),
    );

    let webUrl: string | undefined;
    if (o.web !== false) {
      const nextBin = join(dirname(require.resolve("next/package.json", { paths: [WEB_DIR] })), "dist", "bin", "next");
      const webEnv = { ...env, ACCORD_WEB_DATA_DIR: join(DEVNET_DIR, "web"), NEXT_TELEMETRY_DISABLED: "1" };
      if (!webBuildIsCurrent()) {
        log("building the web app (first start, or its sources changed; about a minute)");
        await runNode([nextBin, "build"], { cwd: WEB_DIR, env: webEnv, logFile: join(logs, "web-build.log") });
      }
      log("starting the web app");
      const { managed: m } = await startNode("the web app", [nextBin, "start", "--hostname", "127.0.0.1", "--port", String(WEB_PORT)], {
        cwd: WEB_DIR,
        env: webEnv,
        logFile: join(logs, "web.log"),
        timeoutMs: WEB_UP_TIMEOUT_MS,
        ready: (out) => (/Ready|started server|Local:/i.test(out) ? true : undefined),
      });
      managed.push(m);
      watch("the web app", m);
      webUrl = `http://127.0.0.1:${WEB_PORT}`;
    }

    let sample: SampleJob | undefined;
    if (o.sampleJob !== false) {
      log("posting a sample job (sort a file, 3 replicas, quorum 2) and waiting for its verified result");
      const outDir = join(DEVNET_DIR, "sample-result");
      const requester = DEV_ACCOUNTS[DEV_ROLES.requesters[0]]!;
      const stdout = await runNode(
        [REQUESTER_CLI, "--json", "--data-dir", join(DEVNET_DIR, "requester"), "job", "submit", join(ROOT, "client", "fixtures", "wasm", "sort.wasm"),
          "--input", `data.txt=${join(ROOT, "examples", "fruits.txt")}`, "--replicas", String(Math.min(3, count)), "--max-price", "0.5", "--out", outDir, "--timeout", "120"],
        { env: { ...env, ACCORD_PRIVATE_KEY: requester.privateKey, ACCORD_CONFIG: join(DEVNET_DIR, "requester", "config.json") }, logFile: join(logs, "sample-job.log") },
      );
      const result = JSON.parse(stdout) as { jobId: string; state: string; resultCid: string };
      const sorted = join(outDir, "files", "sorted.txt");
      sample = {
        jobId: result.jobId,
        state: result.state,
        resultCid: result.resultCid,
        outDir,
        sorted: existsSync(sorted) ? readFileSync(sorted, "utf8") : undefined,
      };
    }

    return { chain, deployment, deploymentFile, providers, webUrl, sample, stop, died };
  } catch (err) {
    await stop();
    throw err;
  }
}

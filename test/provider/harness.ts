// Shared by the provider's cross-process tests and its benchmark: a Hardhat chain with Accord
// deployed, a requester that speaks viem + the client's content/manifest/seal modules, and
// provider daemons run as real child processes of `accord-provider start`.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createPublicClient, createWalletClient, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { testTokenAbi } from "../../client/src/generated/abi.ts";
import { postJob as post, type MarketChain } from "../../client/src/actions/chain/index.ts";
import { getMarketEvents, hexToCid, readJob, revealedCids, type JobInfo } from "../../client/src/chain/index.ts";
import { createAccordNode, type AccordNode } from "../../client/src/net/index.ts";
import { encodeManifest, manifestCid as cidOfManifest, type Manifest } from "../../client/src/manifest/index.ts";
import { generateResultKey, openResult } from "../../client/src/seal/index.ts";
import { decodeResultBundle, type ResultBundle } from "../../client/src/sandbox/index.ts";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { startDevnet, type Devnet, type DevnetOptions, type MarketParameters } from "../devnet.ts";
import { connectChain } from "../../provider-node/src/chain/clients.ts";
import { addStake, registerOrUpdate } from "../../provider-node/src/chain/account.ts";
import { KEY_FILE_NAME, PROVIDER_LIMITS } from "../../provider-node/src/constants.ts";
import { createKeyFile } from "../../provider-node/src/config/keyfile.ts";
import type { Deployment } from "../../client/src/deployments.ts";

export const FIXTURES = join(import.meta.dirname, "..", "..", "client", "fixtures", "wasm");
export const CLI = join(import.meta.dirname, "..", "..", "provider-node", "bin", "accord-provider.js");
/** Test market: 1 token minimum stake, collateral = 100 % of the bid, no unbonding wait. */
export const TEST_PARAMETERS = { minStake: 1_000_000n, collateralRatioBps: 10_000, unbondingDelay: 0, protocolFeeBps: 0, fillTimeout: 60, seedDelay: 0 };
export const PROVIDER_KEYS = DEV_ACCOUNTS.slice(4, 12);
export const REQUESTER_KEY = DEV_ACCOUNTS[1]!;

/** A devnet (test/devnet.ts) with the provider tests' market. */
export type TestChain = Devnet;

/** `chainOptions` picks the node (Hardhat by default, or anvil) and its block time. */
export function startTestChain(parameters: MarketParameters = {}, chainOptions: Pick<DevnetOptions, "engine" | "blockTime"> = {}): Promise<TestChain> {
  return startDevnet({ ...chainOptions, parameters: { ...TEST_PARAMETERS, ...parameters } });
}

/** Registers and stakes a provider account in-process (the CLI path has its own test). */
export async function registerProvider(rpcUrl: string, market: Address, privateKey: Hex, stakeTokens = 100n): Promise<void> {
  const chain = await connectChain({ rpcUrl, privateKey, market, limits: PROVIDER_LIMITS });
  await registerOrUpdate(chain, { peerId: new Uint8Array([0x00, 0x01, 0x00]), multiaddrs: [], askPrice: 1_000n });
  await addStake(chain, stakeTokens * 1_000_000n);
}

export type ProviderProcess = {
  process: ChildProcess;
  info: { address: Address; peerId: string; multiaddrs: string[]; metricsUrl: string; market: Address };
  /** Parsed pino lines so far. */
  logs: Array<Record<string, unknown>>;
  dataDir: string;
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
};

export type SpawnProviderParameters = {
  rpcUrl: string;
  market: Address;
  privateKey: Hex;
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
};

/** Runs `accord-provider start` as a child process on Node 24 and waits until it is up. */
export async function spawnProvider(p: SpawnProviderParameters): Promise<ProviderProcess> {
  const dataDir = p.dataDir ?? mkdtempSync(join(tmpdir(), "accord-provider-"));
  // The daemon signs with its data folder's key file, as a real provider's does.
  const keyFile = join(dataDir, KEY_FILE_NAME);
  if (!existsSync(keyFile)) createKeyFile(keyFile, p.privateKey);
  const child = spawn(
    process.execPath,
    [CLI, "start", "--json", "--data-dir", dataDir, "--rpc-url", p.rpcUrl, "--market", p.market, "--metrics-port", "0", "--listen", "/ip4/127.0.0.1/tcp/0", ...(p.args ?? [])],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ACCORD_LIMIT_POLL_INTERVAL_MS: "100", ACCORD_LOG_LEVEL: "info", ...p.env },
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let stderrTail = "";
  let buf = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    buf += chunk.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      stderrTail = (stderrTail + line + "\n").slice(-4000);
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        logs.push(parsed);
        for (const w of [...waiters]) if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      } catch {
        /* not a log line */
      }
    }
  });
  const info = await new Promise<ProviderProcess["info"]>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
    });
    child.once("exit", (code) => reject(new Error(`accord-provider exited with ${code} before it was up:\n${stderrTail}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    process: child,
    info,
    logs,
    dataDir,
    waitForLog(match, timeoutMs = 60_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${stderrTail}`)), timeoutMs);
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
    async kill(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}

export type PostJobParameters = {
  module?: string;
  args?: string[];
  stdin?: Uint8Array;
  replicas: number;
  quorum: number;
  /** The cap escalation may bring the replicas to (default: the replicas, no escalation). */
  maxReplicas?: number;
  maxPrice?: bigint;
  commitWindow?: number;
  revealWindow?: number;
  limits?: Partial<Manifest["limits"]>;
  /** Seconds of bidding before anyone may award (default 0: award when k bids are in). */
  bidWindow?: number;
  /** Post these manifest bytes as they are (for invalid manifests). */
  rawManifest?: Uint8Array;
};

/** A requester: a content node, a result key and a funded account, talking viem to the market. */
export class Requester {
  readonly node: AccordNode;
  readonly key = generateResultKey();
  readonly account;
  private readonly wallet;
  private readonly chain: MarketChain;
  private readonly client: PublicClient;
  private readonly deployment: Deployment;
  readonly dataDir: string;

  private constructor(node: AccordNode, dataDir: string, t: TestChain, privateKey: Hex) {
    this.account = privateKeyToAccount(privateKey);
    this.node = node;
    this.dataDir = dataDir;
    this.client = t.publicClient;
    this.deployment = t.deployment;
    this.wallet = createWalletClient({ chain: hardhat, transport: http(t.rpcUrl), account: this.account });
    this.chain = { publicClient: t.publicClient, walletClient: this.wallet, market: t.deployment.jobMarket, token: t.deployment.token };
  }

  static async create(t: TestChain, key: { privateKey: Hex } = REQUESTER_KEY): Promise<Requester> {
    const dataDir = mkdtempSync(join(tmpdir(), "accord-requester-"));
    const node = await createAccordNode({ dataDir, listen: ["/ip4/127.0.0.1/tcp/0"] });
    const r = new Requester(node, dataDir, t, key.privateKey);
    const hash = await r.wallet.writeContract({ address: t.deployment.token, abi: testTokenAbi, functionName: "approve", args: [t.deployment.jobMarket, 2n ** 200n] });
    await t.publicClient.waitForTransactionReceipt({ hash });
    return r;
  }

  /** Connects to the providers so they can fetch the job's content from this node. */
  async connect(multiaddrs: string[]): Promise<void> {
    await Promise.all(multiaddrs.map((a) => this.node.dial(a)));
  }

  async manifestFor(p: PostJobParameters): Promise<Manifest> {
    const module = await this.node.content.add(readFileSync(join(FIXTURES, p.module ?? "echo.wasm")));
    const stdin = p.stdin ? await this.node.content.add(p.stdin) : undefined;
    return {
      version: 1,
      runtime: "wasi-preview1",
      module: module.toString(),
      args: p.args ?? ["echo"],
      env: {},
      ...(stdin ? { stdin: stdin.toString() } : {}),
      inputs: {},
      limits: { fuel: 20_000_000, memoryPages: 64, stdoutBytes: 65_536, stderrBytes: 65_536, outputFiles: 4, outputBytes: 65_536, wallClockMs: 30_000, ...p.limits },
      resultPublicKey: this.key.publicKeyHex,
      nonce: String(Math.random()),
    };
  }

  /** Posts through the client's chain action postJob, from the allowance approved at create. */
  async postJob(p: PostJobParameters): Promise<bigint> {
    const bytes = p.rawManifest ?? encodeManifest(await this.manifestFor(p));
    const manifestCid = await this.node.content.add(bytes);
    const { replicas, quorum, maxReplicas, maxPrice = 10_000n, bidWindow = 0, commitWindow = 120, revealWindow = 120 } = p;
    return (await post(this.chain, { manifestCid, replicas, quorum, maxReplicas, maxPrice, bidWindow, commitWindow, revealWindow })).jobId;
  }

  async waitForState(jobId: bigint, states: readonly JobInfo["state"][], timeoutMs = 60_000): Promise<JobInfo> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await readJob(this.client, this.deployment.jobMarket, jobId);
      if (states.includes(info.state)) return info;
      if (Date.now() > deadline) throw new Error(`job ${jobId} is ${info.state}, not ${states.join("/")}, after ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  /** Settlement and reveals of a job, from its events. */
  async outcome(jobId: bigint) {
    const events = await getMarketEvents(this.client, { address: this.deployment.jobMarket, fromBlock: BigInt(this.deployment.startBlock), toBlock: await this.client.getBlockNumber({ cacheTime: 0 }), jobId });
    const settled = events.find((e) => e.eventName === "JobSettled")?.args as { state: number; resultDigest: Hex } | undefined;
    const replicas = new Map<string, { outcome: number; paid: bigint; slashed: bigint }>();
    for (const e of events) if (e.eventName === "ReplicaSettled") replicas.set((e.args.provider as string).toLowerCase(), e.args as never);
    const reveals = events.filter((e) => e.eventName === "Revealed").map((e) => {
      const args = e.args as { provider: Address; resultDigest: Hex; sealedResultDigest: Hex; codecs: number };
      return { provider: args.provider, ...revealedCids(args) };
    });
    return { settled, replicas, reveals };
  }

  /** Fetches one provider's sealed result from the network, opens it and checks it against the consensus. */
  async fetchResult(jobId: bigint, reveal: { resultCid: Hex; sealedResultCid: Hex }): Promise<ResultBundle> {
    const envelope = await this.node.content.getBytes(hexToCid(reveal.sealedResultCid), { timeoutMs: 20_000 });
    const plaintext = await openResult({ envelope, secretKey: this.key.secretKey, jobId, expectedCid: hexToCid(reveal.resultCid) });
    return decodeResultBundle(plaintext);
  }

  async stop(): Promise<void> {
    await this.node.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export { cidOfManifest };

/** A daemon of a test market: its account, and what its `accord-provider start` is given beyond the harness's own flags. */
export type DaemonSpec = { privateKey: Hex; args?: string[]; env?: Record<string, string> };

export type TestMarket = { t: TestChain; providers: ProviderProcess[]; requester: Requester; stop(): Promise<void> };

/**
 * What most process tests start with: a devnet with the provider tests' market (`parameters` over
 * TEST_PARAMETERS), every daemon of `daemons` registered, staked and running, the accounts of
 * `registeredOnly` registered and staked without a daemon (to be started later), and a requester
 * connected to the daemons. `stop` kills the daemons in `providers` (a test may replace one it
 * restarted) and stops the requester and the chain; a start that fails stops what it started.
 */
export async function startMarket(o: { daemons: DaemonSpec[]; registeredOnly?: Array<{ privateKey: Hex }>; parameters?: MarketParameters }): Promise<TestMarket> {
  const t = await startTestChain(o.parameters);
  const providers: ProviderProcess[] = [];
  let requester: Requester | undefined;
  const stop = async () => {
    await Promise.all(providers.map((p) => p.kill()));
    await requester?.stop();
    await t.stop();
  };
  try {
    const market = t.deployment.jobMarket;
    await Promise.all([...o.daemons, ...(o.registeredOnly ?? [])].map((k) => registerProvider(t.rpcUrl, market, k.privateKey)));
    const started = await Promise.allSettled(o.daemons.map((d) => spawnProvider({ rpcUrl: t.rpcUrl, market, privateKey: d.privateKey, args: d.args, env: d.env })));
    for (const s of started) if (s.status === "fulfilled") providers.push(s.value);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    requester = await Requester.create(t);
    await requester.connect(providers.flatMap((p) => p.info.multiaddrs));
    return { t, providers, requester, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

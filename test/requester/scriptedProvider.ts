// A provider driven from the test with viem, standing in for the provider daemon where a test
// needs a provider that misbehaves on purpose (serves a wrong result, dissents, stays silent).
// It runs the real sandbox on the real manifest and content, and commits and reveals on-chain
// exactly as docs/PROTOCOL.md says.
import { join } from "node:path";
import { createWalletClient, erc20Abi, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { computeCommitment, randomSalt } from "../../client/src/chain/commitment.ts";
import { followMarketEvents } from "../../client/src/chain/events.ts";
import { readJob, readReplicas } from "../../client/src/chain/market.ts";
import { cidDigest, cidToHex, hexToCid, parseCid } from "../../client/src/content/cid.ts";
import type { Deployment } from "../../client/src/deployments.ts";
import { jobMarketAbi } from "../../client/src/generated/abi.ts";
import { loadSandboxJob } from "../../client/src/job/sandboxJob.ts";
import { decodeManifest } from "../../client/src/manifest/index.ts";
import { createAccordNode, type AccordNode } from "../../client/src/net/node.ts";
import { encodeResultBundle, resultCid, type ResultBundle, type SandboxPool } from "../../client/src/sandbox/index.ts";
import { sealResult } from "../../client/src/seal/seal.ts";

const TX_GAS = 1_500_000n;

export type Behaviour =
  /** Bids, runs, commits and reveals the true result, and serves it sealed. */
  | "honest"
  /** Commits and reveals the true result's CID but serves a sealed result with other content. */
  | "serves-wrong-result"
  /** Commits and reveals the CID of a different result (it loses its collateral). */
  | "dissents"
  /** Registered and staked, never bids. */
  | "silent";

export type ScriptedProviderOptions = {
  rpcUrl: string;
  deployment: Deployment;
  privateKey: Hex;
  dataDir: string;
  pool: SandboxPool;
  behaviour?: Behaviour;
  /** Bid price in token units. */
  price: bigint;
  /** Advertised ask, token units per 1e9 fuel. */
  askPrice?: bigint;
  stake: bigint;
};

export class ScriptedProvider {
  readonly address: Address;
  node!: AccordNode;
  private readonly o: ScriptedProviderOptions;
  private readonly wallet;
  private readonly stopper = new AbortController();
  private txChain: Promise<unknown> = Promise.resolve();
  private readonly runs = new Map<bigint, Promise<{ cid: Hex; salt: Hex; sealedCid: Hex }>>();
  private loop?: Promise<void>;
  readonly errors: Error[] = [];
  /** Whether it bids on new jobs: tests pick which providers take part in a job. */
  active = true;
  /** Holds the reveal back, so a test can decide who reveals first. */
  revealDelayMs = 0;

  private readonly publicClient: PublicClient;

  constructor(o: ScriptedProviderOptions, publicClient: PublicClient) {
    this.o = o;
    this.publicClient = publicClient;
    const account = privateKeyToAccount(o.privateKey);
    this.address = account.address;
    this.wallet = createWalletClient({ chain: hardhat, transport: http(o.rpcUrl), account });
  }

  /** Transactions of one account go one at a time, so nonces never collide. */
  private tx(functionName: string, args: readonly unknown[], address: Address = this.o.deployment.jobMarket, abi: any = jobMarketAbi) {
    const run = async () => {
      // A fixed gas limit: an estimate goes stale when another bid lands first and this one
      // becomes the bid that fills the book and awards the job (which costs more).
      const hash = await this.wallet.writeContract({ address, abi, functionName, args, gas: TX_GAS } as never);
      const receipt = await this.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
    };
    const p = this.txChain.then(run, run);
    this.txChain = p.catch(() => {});
    return p;
  }

  async start(): Promise<void> {
    this.node = await createAccordNode({ dataDir: join(this.o.dataDir, this.address) });
    const peerId = cidToHexBytes(this.node.peerId.toMultihash().bytes);
    const addrs = this.node.multiaddrs.map((m) => m.toString());
    await this.tx("registerProvider", [peerId, addrs, this.o.askPrice ?? 1n]);
    await this.tx("approve", [this.o.deployment.jobMarket, this.o.stake], this.o.deployment.token, erc20Abi);
    await this.tx("stake", [this.o.stake]);
    const from = await this.publicClient.getBlockNumber({ cacheTime: 0 });
    this.loop = this.follow(from);
  }

  private async follow(fromBlock: bigint): Promise<void> {
    for await (const batch of followMarketEvents(this.publicClient, { address: this.o.deployment.jobMarket, fromBlock, pollIntervalMs: 50, signal: this.stopper.signal })) {
      for (const ev of batch.events) {
        const a = ev.args as any;
        const guard = (p: Promise<unknown>) => p.catch((err) => this.errors.push(err));
        if (ev.eventName === "JobPosted" && this.active && this.o.behaviour !== "silent") void guard(this.onPosted(a.jobId, a.manifestCid));
        if (ev.eventName === "JobAwarded") void guard(this.onAwarded(a.jobId));
        if (ev.eventName === "RevealOpened") void guard(this.onRevealOpened(a.jobId));
      }
    }
  }

  private async onPosted(jobId: bigint, manifestCidHex: Hex) {
    const manifestCid = parseCid(hexToCidString(manifestCidHex));
    const signal = this.stopper.signal;
    const manifest = decodeManifest(await this.node.content.getBytes(manifestCid, { signal, timeoutMs: 10_000 }));
    const job = await loadSandboxJob(manifest, manifestCid, (cid, o) => this.node.content.getBytes(cid, { ...o, timeoutMs: 10_000 }), { signal });
    this.runs.set(
      jobId,
      this.o.pool.run(job, { signal }).then(async (bundle) => {
        const served = this.o.behaviour === "serves-wrong-result" || this.o.behaviour === "dissents" ? tamper(bundle) : bundle;
        const committed = this.o.behaviour === "dissents" ? served : bundle;
        const sealed = await sealResult({ plaintext: encodeResultBundle(served), recipientPublicKey: manifest.resultPublicKey, jobId });
        const sealedCid = await this.node.content.add(sealed.envelope);
        return { cid: cidToHex(await resultCid(committed)), salt: randomSalt(), sealedCid: cidToHex(sealedCid) };
      }),
    );
    await this.tx("bid", [jobId, this.o.price]);
    await this.awardWhenDue(jobId);
  }

  /**
   * The pool is drawn only when someone calls award after it closes, and every provider daemon in it
   * does: so does this one, at the time `getJob` gives (the pool's close, or later), until the job
   * leaves Open. Refusals (another bidder was first, the time moved) are expected and ignored.
   */
  private async awardWhenDue(jobId: bigint) {
    // Checked against the pending block: on a quiet automining chain the latest block's clock stands
    // still, while the next block's follows the wall clock.
    const call = { address: this.o.deployment.jobMarket, abi: jobMarketAbi, functionName: "award", args: [jobId], account: this.wallet.account!, blockTag: "pending" } as const;
    for (let tries = 0; tries < 180 && !this.stopper.signal.aborted; tries++) {
      if ((await readJob(this.publicClient, this.o.deployment.jobMarket, jobId)).state !== "Open") return;
      if (await this.publicClient.simulateContract(call).then(() => true, () => false)) await this.tx("award", [jobId]).catch(() => {});
      else await new Promise((ok) => setTimeout(ok, 500));
    }
  }

  private async onAwarded(jobId: bigint) {
    const run = this.runs.get(jobId);
    if (!run) return;
    const book = await readReplicas(this.publicClient, this.o.deployment.jobMarket, jobId);
    if (!book.some((r) => r.provider === this.address)) return;
    const r = await run;
    const digest = cidDigest(hexToCidString(r.cid));
    await this.tx("commit", [jobId, computeCommitment(jobId, this.address, digest, r.salt)]);
  }

  private async onRevealOpened(jobId: bigint) {
    const run = this.runs.get(jobId);
    if (!run) return;
    const r = await run;
    if (this.revealDelayMs) await new Promise((ok) => setTimeout(ok, this.revealDelayMs));
    await this.tx("reveal", [jobId, r.cid, r.salt, r.sealedCid]);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop?.catch(() => {});
    await this.node?.stop();
  }
}

/** A result with one byte of stdout changed: what a lazy or lying provider might produce. */
function tamper(b: ResultBundle): ResultBundle {
  return { ...b, stdout: Buffer.concat([b.stdout, Buffer.from("!")]) };
}

const cidToHexBytes = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString("hex")}`;

const hexToCidString = (hex: Hex): string => hexToCid(hex).toString();

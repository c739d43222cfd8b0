import { erc20Abi, parseEventLogs, type Address, type Hash } from "viem";
import type { CID } from "multiformats/cid";
import { AccountRequiredError, ResultKeyRequiredError, type AccordClient } from "../client.ts";
import { cidToHex } from "../chain/cidBytes.ts";
import { permitArgument, permitNoncesAbi, permitTypedData } from "../chain/permit.ts";
import { explainChainError, type ChainRequestError, type ContractRevertedError } from "../chain/revert.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import type { InvalidManifestError, Manifest } from "../manifest/index.ts";
import { InsufficientBalanceError, InvalidJobParametersError } from "./errors.ts";
import { escrowFor } from "./estimateCost.ts";
import { prepareJob, type JobSpec, type UploadProgress } from "./internal/prepareJob.ts";
import { announceManifests } from "./internal/announce.ts";
import { readEscrowTerms, requireBalance } from "./internal/escrowTerms.ts";
import { abortable, sendInTurn, waitMined, writeMarket } from "./internal/transact.ts";

/** Contract bounds (docs/PROTOCOL.md, "Parameters and bounds"), checked before any transaction. */
export const MAX_REPLICAS = 16;
export const MIN_PHASE_WINDOW_S = 60;
export const MAX_WINDOW_S = 7 * 24 * 3600;
export const MAX_PRICE_UNITS = (1n << 80n) - 1n;
/** Defaults: award on fill, and phase windows generous enough for a slow provider. */
export const DEFAULT_BID_WINDOW_S = 0;
export const DEFAULT_COMMIT_WINDOW_S = 600;
export const DEFAULT_REVEAL_WINDOW_S = 600;
/** A permit is signed for the one transaction that follows it. */
export const PERMIT_VALIDITY_S = 3600;

export type SubmitJobProgress =
  | ({ step: "upload" } & UploadProgress)
  | { step: "manifest"; manifestCid: string; bytes: number }
  | { step: "escrow"; escrow: bigint; symbol: string; decimals: number; payment: "allowance" | "permit" | "approve" }
  | { step: "approve"; transactionHash: Hash }
  | { step: "posted"; jobId: bigint; transactionHash: Hash; blockNumber: bigint };

export type SubmitJobParameters = JobSpec & {
  /** k: independent runs, 1..16. */
  replicas: number;
  /** m: identical results needed, k/2 < m <= k (default: the smallest majority). */
  quorum?: number;
  /** Most paid to one provider for one replica, in token units (see parseAmount). */
  maxPrice: bigint;
  /** Seconds of bidding; 0 (default) awards the job as soon as k bids are in. */
  bidWindow?: number;
  commitWindow?: number;
  revealWindow?: number;
  /** Lowest provider reputation, basis points (0..10_000). */
  minReputation?: number;
  /**
   * Announce the manifest in the DHT: "auto" (default) only while some registered provider is
   * not connected to this node (connected ones fetch the job straight from it, see
   * docs/PROTOCOL.md "Provider node"); true always; false never (providers must reach this node).
   */
  announce?: "auto" | boolean;
  /**
   * Runs the escrow-and-post step (from reading the allowance and nonces to the mined post) inside
   * this, for posts from one key in several processes: the CLI passes a lock file per account, so
   * two processes never sign the same permit nonce. Posts of one process take turns without it.
   */
  exclusive?: <T>(step: () => Promise<T>) => Promise<T>;
  /** How the escrow reaches the market: "auto" (default) uses an existing allowance, else a permit, else approve. */
  payment?: "auto" | "permit" | "approve";
  onProgress?: (p: SubmitJobProgress) => void;
  signal?: AbortSignal;
};

export type SubmitJobReturnType = {
  jobId: bigint;
  manifestCid: CID;
  manifest: Manifest;
  transactionHash: Hash;
  blockNumber: bigint;
  escrow: bigint;
  bidDeadline: bigint;
};

export type SubmitJobErrorType =
  | InvalidJobParametersError
  | InvalidManifestError
  | InsufficientBalanceError
  | AccountRequiredError
  | ResultKeyRequiredError
  | ChainRequestError
  | ContractRevertedError;


/** Checks a job's parameters against the contract's bounds; returns the quorum. `at` prefixes the field ("jobs[2]."). */
export function checkJobParameters(p: SubmitJobParameters, at = ""): number {
  const bad = (field: string, problem: string, fix: string) => new InvalidJobParametersError(at + field, problem, fix);
  const k = p.replicas;
  if (!Number.isInteger(k) || k < 1 || k > MAX_REPLICAS) throw bad("replicas", `${k} is not between 1 and ${MAX_REPLICAS}`, "Ask for between 1 and 16 replicas.");
  const m = p.quorum ?? Math.floor(k / 2) + 1;
  if (!Number.isInteger(m) || m <= k / 2 || m > k)
    throw bad("quorum", `${m} of ${k} is not a majority`, `Pick a quorum above half the replicas and at most ${k} (e.g. ${Math.floor(k / 2) + 1}).`);
  if (typeof p.maxPrice !== "bigint" || p.maxPrice <= 0n || p.maxPrice > MAX_PRICE_UNITS)
    throw bad("maxPrice", `${p.maxPrice} token units is out of range`, "Offer a positive price per replica (`accord job estimate` suggests one).");
  const window = (field: string, v: number | undefined, min: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > MAX_WINDOW_S))
      throw bad(field, `${v} s is outside ${min}..${MAX_WINDOW_S} s`, `Pick ${field} between ${min} seconds and 7 days.`);
  };
  window("bidWindow", p.bidWindow, 0);
  window("commitWindow", p.commitWindow, MIN_PHASE_WINDOW_S);
  window("revealWindow", p.revealWindow, MIN_PHASE_WINDOW_S);
  const r = p.minReputation ?? 0;
  if (!Number.isInteger(r) || r < 0 || r > 10_000) throw bad("minReputation", `${r} is not 0..10000 basis points`, "Pass a reputation in basis points, e.g. 5000 for 50 %.");
  return m;
}

/**
 * Posts a job: uploads the module and inputs to the client's content node, builds the
 * canonical manifest (carrying the requester's result key), moves the escrow with an
 * existing allowance, an ERC-2612 permit or an approval, and posts it. The content node must
 * stay up until the providers have fetched the job (waitForResult keeps it up).
 */
export async function submitJob(client: AccordClient, parameters: SubmitJobParameters): Promise<SubmitJobReturnType> {
  const { signal, onProgress } = parameters;
  const quorum = checkJobParameters(parameters);
  if (!client.account || !client.walletClient) throw new AccountRequiredError("Submitting a job");
  if (!client.resultKey) throw new ResultKeyRequiredError();
  const owner: Address = client.account.address;
  const market = client.deployment.jobMarket;
  const token = client.deployment.token;

  // Chain reads run while the content is added: they do not depend on each other.
  const reads = readEscrowTerms(client, owner);

  const node = await client.getNode({ signal });
  const prepared = await prepareJob(parameters, client.resultKey.publicKeyHex, {
    store: node.content,
    signal,
    onUpload: (u) => onProgress?.({ step: "upload", ...u }),
  });
  onProgress?.({ step: "manifest", manifestCid: prepared.manifestCid.toString(), bytes: prepared.manifestBytes.length });
  // Providers connected to us fetch the job from us directly; the DHT record serves the others.
  announceManifests(client, node, [prepared.manifestCid], parameters.announce ?? "auto", signal);

  const [params, tokenInfo, balance, allowance] = await abortable(reads, signal);
  const { escrow } = escrowFor(parameters.replicas, parameters.maxPrice, params.protocolFeeBps);
  requireBalance(owner, escrow, balance, tokenInfo);

  const jobParams = postJobArgument(parameters, prepared.manifestCid, quorum);
  const payment = parameters.payment ?? "auto";
  const key = `${client.chain.id}:${token}:${owner}`.toLowerCase();
  // The allowance read with the terms (the balance check's) may be stale by the owner's turn
  // (other posts of this account ran meanwhile): the turn reads it again.
  void allowance;
  const posted = await inEscrowTurn(key, escrow, parameters.exclusive, async (turn) => {
    const current = await readAllowance(client, owner);
    if (payment === "auto" && current - turn.reserved >= escrow) {
      onProgress?.({ step: "escrow", escrow, symbol: tokenInfo.symbol, decimals: tokenInfo.decimals, payment: "allowance" });
      // Spent from the allowance by a post still to be mined: reserved, so the next post in this
      // process does not count on it; the turn may end once this one is broadcast.
      return { fromAllowance: () => writeMarket(client, { action: "Posting the job", functionName: "postJob", args: [jobParams], signal }) };
    }
    // A permit or an approval sets the allowance, which the posts still pending from it need:
    // wait for them first. From here the turn lasts until the post is mined.
    await turn.drain();
    if (payment !== "approve" && (await supportsPermit(client, owner))) {
      onProgress?.({ step: "escrow", escrow, symbol: tokenInfo.symbol, decimals: tokenInfo.decimals, payment: "permit" });
      return postWithPermit(client, owner, escrow, jobParams, signal);
    }
    onProgress?.({ step: "escrow", escrow, symbol: tokenInfo.symbol, decimals: tokenInfo.decimals, payment: "approve" });
    let hash: Hash;
    try {
      hash = await sendInTurn(client, (nonce) => client.walletClient!.writeContract({ address: token, abi: erc20Abi, functionName: "approve", args: [market, escrow], account: client.account!, chain: client.chain, nonce }));
    } catch (err) {
      throw explainChainError("Approving the escrow", err);
    }
    await waitMined(client, "Approving the escrow", hash, signal);
    onProgress?.({ step: "approve", transactionHash: hash });
    return writeMarket(client, { action: "Posting the job", functionName: "postJob", args: [jobParams], signal });
  });

  const [ev] = parseEventLogs({ abi: jobMarketAbi, eventName: "JobPosted", logs: posted.receipt.logs });
  if (!ev) throw explainChainError("Posting the job", new Error(`transaction ${posted.hash} emitted no JobPosted event`));
  const jobId = ev.args.jobId;
  onProgress?.({ step: "posted", jobId, transactionHash: posted.hash, blockNumber: posted.receipt.blockNumber });
  return {
    jobId,
    manifestCid: prepared.manifestCid,
    manifest: prepared.manifest,
    transactionHash: posted.hash,
    blockNumber: posted.receipt.blockNumber,
    escrow,
    bidDeadline: BigInt(ev.args.bidDeadline),
  };
}

/** The JobParams struct postJob takes, with the defaults filled in. */
export function postJobArgument(p: SubmitJobParameters, manifestCid: CID, quorum: number) {
  return {
    manifestCid: cidToHex(manifestCid),
    replicas: p.replicas,
    quorum,
    maxPrice: p.maxPrice,
    bidWindow: p.bidWindow ?? DEFAULT_BID_WINDOW_S,
    commitWindow: p.commitWindow ?? DEFAULT_COMMIT_WINDOW_S,
    revealWindow: p.revealWindow ?? DEFAULT_REVEAL_WINDOW_S,
    minReputation: p.minReputation ?? 0,
  };
}

/** Times a permit post is signed again when another post took the permit nonce first (PermitFailed at the estimate: nothing was paid). */
const PERMIT_RETRIES = 3;

/**
 * Posts with a permit. A permit signs the token's current nonce for its owner, which only moves
 * when the post is mined: two posts signing at once would sign the same nonce and the second
 * would revert, so posts take turns (inEscrowTurn). A post from another process with the same key
 * can still take the nonce between our read and our estimate: the estimate then reverts
 * PermitFailed before anything is sent, and the permit is signed again on the new nonce.
 */
async function postWithPermit(client: AccordClient, owner: Address, escrow: bigint, jobParams: ReturnType<typeof postJobArgument>, signal?: AbortSignal) {
  for (let attempt = 0; ; attempt++) {
    const permit = await signPermit(client, owner, escrow, signal);
    try {
      return await writeMarket(client, { action: "Posting the job with a permit", functionName: "postJobWithPermit", args: [jobParams, permit], signal });
    } catch (err) {
      if (attempt >= PERMIT_RETRIES || !(err instanceof Error && (err as ContractRevertedError).errorName === "PermitFailed")) throw err;
    }
  }
}

type Posted = Awaited<ReturnType<typeof writeMarket>>;
type EscrowTurn = {
  /** Escrow of this process's allowance posts not mined yet. */
  readonly reserved: bigint;
  /** Waits until every allowance post of this process is mined. */
  drain(): Promise<void>;
};
type OwnerTurns = { tail: Promise<unknown>; reserved: bigint; inFlight: Set<Promise<unknown>> };
const escrowTurns = new Map<string, OwnerTurns>();

/**
 * One owner's posts take turns in this process (any client), and across processes too when
 * `exclusive` is given (the turn runs inside it). A turn reads the allowance and nonces afresh and
 * lasts until its post is mined, except a post from an existing allowance in one process: it
 * reserves its escrow and ends the turn at once, so posts from a large allowance still share
 * blocks (the account's transaction nonces are kept apart by sendInTurn). Across processes the
 * reservation is not shared, so there every turn lasts until its post is mined.
 */
async function inEscrowTurn(key: string, escrow: bigint, exclusive: SubmitJobParameters["exclusive"], step: (turn: EscrowTurn) => Promise<Posted | { fromAllowance: () => Promise<Posted> }>): Promise<Posted> {
  let o = escrowTurns.get(key);
  if (!o) escrowTurns.set(key, (o = { tail: Promise.resolve(), reserved: 0n, inFlight: new Set() }));
  const owner = o;
  let release!: () => void;
  const previous = owner.tail;
  owner.tail = previous.then(() => new Promise<void>((r) => (release = r)));
  await previous;
  const turn: EscrowTurn = {
    get reserved() {
      return owner.reserved;
    },
    drain: async () => {
      while (owner.inFlight.size) await Promise.all([...owner.inFlight]);
    },
  };
  const post = async (): Promise<Posted> => {
    const r = await step(turn);
    if (!("fromAllowance" in r)) return r;
    owner.reserved += escrow;
    const mined = r.fromAllowance().finally(() => {
      owner.reserved -= escrow;
      owner.inFlight.delete(settled);
    });
    const settled = mined.catch(() => {});
    owner.inFlight.add(settled);
    if (exclusive) return mined; // another process cannot see the reservation: hold its lock until mined
    release();
    return mined;
  };
  try {
    return await (exclusive ? exclusive(post) : post());
  } finally {
    // The owner's entry is kept (a few fields per account): a post still reserving may need it.
    release();
  }
}

async function readAllowance(client: AccordClient, owner: Address): Promise<bigint> {
  try {
    return await client.publicClient.readContract({ address: client.deployment.token, abi: erc20Abi, functionName: "allowance", args: [owner, client.deployment.jobMarket] });
  } catch (err) {
    throw explainChainError("Reading the escrow allowance", err);
  }
}

async function supportsPermit(client: AccordClient, owner: Address): Promise<boolean> {
  try {
    await client.publicClient.readContract({ address: client.deployment.token, abi: permitNoncesAbi, functionName: "nonces", args: [owner] });
    return true;
  } catch {
    return false;
  }
}

async function signPermit(client: AccordClient, owner: Address, value: bigint, signal?: AbortSignal) {
  const token = client.deployment.token;
  try {
    const [domain, nonce, block] = await Promise.all([
      client.publicClient.getEip712Domain({ address: token }),
      client.publicClient.readContract({ address: token, abi: permitNoncesAbi, functionName: "nonces", args: [owner] }),
      client.publicClient.getBlock({ blockTag: "latest" }),
    ]);
    signal?.throwIfAborted();
    // Measured from the chain's clock, which a test chain may have moved ahead of the wall clock.
    const deadline = block.timestamp + BigInt(PERMIT_VALIDITY_S);
    const signature = await client.walletClient!.signTypedData({
      account: client.account!,
      ...permitTypedData({
        domain: { ...domain.domain, verifyingContract: token },
        owner,
        spender: client.deployment.jobMarket,
        value,
        nonce,
        deadline,
      }),
    });
    return permitArgument(value, deadline, signature);
  } catch (err) {
    throw explainChainError("Signing the escrow permit", err);
  }
}

import { readFile } from "node:fs/promises";
import type { Address } from "viem";
import type { CID } from "multiformats/cid";
import type { AccordClient } from "../client.ts";
import { postJobs, type PostJobsReturnType } from "../actions/chain/postJobs.ts";
import type { Exclusive } from "../actions/chain/escrowTurn.ts";
import type { Payment } from "../actions/chain/postJob.ts";
import type { JobOffer } from "../actions/chain/offer.ts";
import { announceManifests } from "../actions/internal/jobContent.ts";
import { cidText, getMarketEvents } from "../chain/events.ts";
import { encodeManifest, MANIFEST_RUNTIME, MANIFEST_VERSION, parseManifest } from "../manifest/index.ts";
import { TaskStateError } from "./errors.ts";
import type { Task, TaskBag } from "./spec.ts";

/** Waiting for the account's pending transactions to be mined before reading what a crashed run posted. */
export const RECONCILE_PENDING_TIMEOUT_MS = 5 * 60_000;
const RECONCILE_POLL_MS = 500;

/** The CIDs of what every task shares, uploaded once. */
export type SharedContent = { module: string; inputs: Record<string, string>; stdin?: string };

export async function uploadShared(node: AccordNode, bag: TaskBag, signal?: AbortSignal): Promise<SharedContent> {
  const add = async (bytes: Uint8Array) => (await node.content.add(bytes, { signal })).toString();
  const inputs: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(bag.sharedInputs)) inputs[name] = await add(bytes);
  return { module: await add(bag.module), inputs, ...(bag.sharedStdin ? { stdin: await add(bag.sharedStdin) } : {}) };
}

/** Uploads a task's own inputs and its manifest (with this attempt's nonce); returns the manifest CID. */
export async function prepareTask(node: AccordNode, shared: SharedContent, task: Task, resultPublicKey: string, nonce: string, signal?: AbortSignal): Promise<CID> {
  const add = async (path: string) => (await node.content.add(new Uint8Array(await readFile(path)), { signal })).toString();
  const inputs = { ...shared.inputs };
  for (const name of Object.keys(task.inputs).sort()) inputs[name] = await add(task.inputs[name]!.path);
  const stdin = task.stdin ? await add(task.stdin.path) : shared.stdin;
  const manifest = parseManifest({
    version: MANIFEST_VERSION,
    runtime: MANIFEST_RUNTIME,
    module: shared.module,
    args: task.args,
    env: task.env,
    ...(stdin ? { stdin } : {}),
    inputs,
    limits: task.limits,
    resultPublicKey: resultPublicKey.toLowerCase(),
    nonce,
  });
  return node.content.add(encodeManifest(manifest), { signal });
}

/** Posts prepared manifests in one transaction (postJobs), announcing them as submitJobs does. */
export async function postBatch(
  client: AccordClient,
  node: AccordNode,
  manifests: CID[],
  offer: JobOffer,
  options: { payment?: Payment; exclusive?: Exclusive; signal?: AbortSignal },
): Promise<PostJobsReturnType> {
  announceManifests(client, node, manifests, "auto", options.signal);
  return postJobs(client, { jobs: manifests.map((manifestCid) => ({ ...offer, manifestCid })), payment: options.payment, exclusive: options.exclusive, signal: options.signal });
}

/** The client's content node (typed through the client, so this file does not name the node's module). */
export type AccordNode = Awaited<ReturnType<AccordClient["getNode"]>>;

export type FoundPost = { jobId: bigint; blockNumber: bigint; escrow: bigint };

/**
 * Which of these manifests the requester posted since `fromBlock`, from the chain's JobPosted
 * events. First waits until the account has no transaction pending at the RPC: a post signed
 * before a crash and still in the mempool would land after the read and be posted twice.
 */
export async function findPosts(client: AccordClient, requester: Address, manifestCids: readonly string[], fromBlock: bigint, signal?: AbortSignal): Promise<Map<string, FoundPost>> {
  const started = Date.now();
  for (;;) {
    signal?.throwIfAborted();
    const [pending, mined] = await Promise.all([
      client.publicClient.getTransactionCount({ address: requester, blockTag: "pending" }),
      client.publicClient.getTransactionCount({ address: requester, blockTag: "latest" }),
    ]);
    if (pending <= mined) break;
    if (Date.now() - started > RECONCILE_PENDING_TIMEOUT_MS)
      throw new TaskStateError("(run)", `cannot be reconciled: account ${requester} has ${pending - mined} transaction(s) pending for over ${RECONCILE_PENDING_TIMEOUT_MS / 60_000} minutes`, "Wait until they are mined (or replaced), then run again: a post among them must not be posted twice.");
    await new Promise((r) => setTimeout(r, RECONCILE_POLL_MS));
  }
  const wanted = new Set(manifestCids);
  const head = await client.publicClient.getBlockNumber({ cacheTime: 0 });
  const events = await getMarketEvents(client.publicClient, { address: client.deployment.jobMarket, fromBlock, toBlock: head, events: ["JobPosted"], args: { requester }, signal });
  const found = new Map<string, FoundPost>();
  for (const ev of events) {
    const cid = cidText(ev.args.manifestCid);
    if (wanted.has(cid)) found.set(cid, { jobId: ev.args.jobId, blockNumber: ev.blockNumber, escrow: ev.args.escrow });
  }
  return found;
}

// A job's content on the requester's side: its canonical manifest and every block it names, added
// to the content node (or only hashed, for a dry run), and the manifest announced in the DHT where
// a provider could not fetch it from us directly.
import type { PublicClient } from "viem";
import type { CID } from "multiformats/cid";
import type { AccordClient } from "../../client.ts";
import { peerIdString } from "../../chain/peerAddresses.ts";
import { providerRegistry, type ProviderRegistry } from "../../chain/providers.ts";
import { cidOfBytes } from "../../content/cid.ts";
import type { ContentStore } from "../../content/store.ts";
import type { Deployment } from "../../deployments.ts";
import { encodeManifest, MANIFEST_RUNTIME, MANIFEST_VERSION, parseManifest, type Manifest, type ManifestLimits } from "../../manifest/index.ts";
import type { AccordNode } from "../../net/node.ts";
import { DEFAULT_LIMITS } from "../../sandbox/constants.ts";

/** argv[0] when the caller gives no args: programs built with libc expect a program name there. */
export const DEFAULT_PROGRAM_NAME = "program";

/** What a requester says about a job: the program, its inputs and limits. */
export type JobSpec = {
  /** The WebAssembly module (WASI preview 1). */
  module: Uint8Array;
  /** Files mounted read-only under /input, by path relative to it. */
  inputs?: Record<string, Uint8Array>;
  stdin?: Uint8Array;
  /** argv, args[0] being the program name (default ["program"]). */
  args?: string[];
  env?: Record<string, string>;
  /** Sandbox limits; unset ones take the sandbox defaults. */
  limits?: Partial<ManifestLimits>;
  /** Changes the manifest CID, and so the job's randomness seed, without changing the job. */
  nonce?: string;
};

export type UploadProgress = { name: string; bytes: number; ms: number; cid: string };

export type PreparedJob = {
  manifest: Manifest;
  manifestBytes: Uint8Array;
  manifestCid: CID;
  /** Every CID the job needs, with its bytes, for serving or for a local dry run. */
  blocks: Map<string, Uint8Array>;
};

/**
 * Builds the canonical manifest of a job, adding the module, inputs and manifest to `store`
 * when one is given (pinned, so they stay served until the job is done) or only computing
 * their CIDs otherwise (dry run). Both paths give the same CIDs.
 */
export async function prepareJob(
  spec: JobSpec,
  resultPublicKey: string,
  options: { store?: ContentStore; signal?: AbortSignal; onUpload?: (p: UploadProgress) => void } = {},
): Promise<PreparedJob> {
  const { store, signal } = options;
  const blocks = new Map<string, Uint8Array>();
  const put = async (name: string, bytes: Uint8Array): Promise<string> => {
    signal?.throwIfAborted();
    const t0 = performance.now();
    const cid = store ? await store.add(bytes, { signal }) : await cidOfBytes(bytes);
    const text = cid.toString();
    blocks.set(text, bytes);
    options.onUpload?.({ name, bytes: bytes.length, ms: performance.now() - t0, cid: text });
    return text;
  };

  const moduleCid = await put("module", spec.module);
  const stdin = spec.stdin ? await put("stdin", spec.stdin) : undefined;
  const inputs: Record<string, string> = {};
  for (const path of Object.keys(spec.inputs ?? {}).sort()) inputs[path] = await put(`input ${path}`, spec.inputs![path]!);

  const manifest = parseManifest({
    version: MANIFEST_VERSION,
    runtime: MANIFEST_RUNTIME,
    module: moduleCid,
    args: spec.args ?? [DEFAULT_PROGRAM_NAME],
    env: spec.env ?? {},
    ...(stdin ? { stdin } : {}),
    inputs,
    limits: { ...DEFAULT_LIMITS, ...spec.limits },
    resultPublicKey: resultPublicKey.toLowerCase(),
    ...(spec.nonce !== undefined ? { nonce: spec.nonce } : {}),
  });
  const manifestBytes = encodeManifest(manifest);
  const manifestCid = store ? await store.add(manifestBytes, { signal }) : await cidOfBytes(manifestBytes);
  blocks.set(manifestCid.toString(), manifestBytes);
  return { manifest, manifestBytes, manifestCid, blocks };
}

/** How long the registered providers' peer ids are trusted before they are read from the chain again. */
export const REGISTERED_PEERS_REFRESH_MS = 30_000;

type Registered = { ids: Promise<Set<string>>; atMs: number };
const registeredByClient = new WeakMap<object, Registered>();
const registryByClient = new WeakMap<object, ProviderRegistry>();

/** The peer ids of every registered provider, read at most once per REGISTERED_PEERS_REFRESH_MS per client. */
function registeredPeerIds(key: object, publicClient: PublicClient, deployment: Deployment, signal?: AbortSignal): Promise<Set<string>> {
  const cached = registeredByClient.get(key);
  if (cached && Date.now() - cached.atMs < REGISTERED_PEERS_REFRESH_MS) return cached.ids;
  let registry = registryByClient.get(key);
  if (!registry) registryByClient.set(key, (registry = providerRegistry(publicClient, { address: deployment.jobMarket, fromBlock: BigInt(deployment.startBlock) })));
  const ids = registry({ signal }).then((providers) => new Set(providers.map((p) => peerIdString(p.peerId)).filter((id) => id !== undefined)));
  registeredByClient.set(key, { ids, atMs: Date.now() });
  // A failed read is not cached: the next post asks again.
  ids.catch(() => registeredByClient.delete(key));
  return ids;
}

/**
 * Whether a job's manifest must be announced in the DHT for every provider to find it.
 * Providers ask the non-provider peers connected to them for a job's content before the DHT
 * (see provider-node/src/work/sources.ts), and the requester's node dials every registered
 * provider when it starts: while it is connected to all of them, each one fetches straight
 * from it and an announcement (a lookup plus a record written by every close peer) is work
 * for the whole swarm that nobody uses. One unconnected provider, or a registry that cannot
 * be read, and the manifest is announced as before.
 */
export async function manifestNeedsAnnouncement(key: object, publicClient: PublicClient, deployment: Deployment, node: Pick<AccordNode, "libp2p">, signal?: AbortSignal): Promise<boolean> {
  let registered: Set<string>;
  try {
    registered = await registeredPeerIds(key, publicClient, deployment, signal);
  } catch {
    return true;
  }
  if (registered.size === 0) return true;
  const connected = new Set(node.libp2p.getConnections().filter((c) => c.status === "open").map((c) => c.remotePeer.toString()));
  for (const id of registered) if (!connected.has(id)) return true;
  return false;
}

/**
 * Announces manifests in the DHT as `announce` says: always, never, or ("auto") only while
 * manifestNeedsAnnouncement. Never waited for and never fails a post: an announcement only
 * helps providers that are not connected to us find the job.
 */
export function announceManifests(client: AccordClient, node: AccordNode, cids: readonly CID[], announce: "auto" | boolean, signal?: AbortSignal): void {
  if (announce === false) return;
  const needed = announce === true ? Promise.resolve(true) : manifestNeedsAnnouncement(client, client.publicClient, client.deployment, node, signal);
  needed.then((yes) => (yes ? Promise.all(cids.map((cid) => node.content.provide(cid, { signal }).catch(() => {}))) : undefined)).catch(() => {});
}

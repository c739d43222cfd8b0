import type { CID } from "multiformats/cid";
import { ContentNotFoundError, type ContentStore } from "@accord/client/content";
import { decodeManifest, type Manifest, MAX_MANIFEST_BYTES } from "@accord/client/manifest";
import { loadSandboxJob } from "@accord/client/job";
import { type SandboxJob, validateModule } from "@accord/client/sandbox";
import type { ProviderLimits } from "../constants.ts";

export type LoadedJob = {
  manifest: Manifest;
  job: SandboxJob;
  moduleBytes: number;
  inputBytes: number;
};

export type LoadJobParameters = {
  content: ContentStore;
  manifestCid: CID;
  limits: ProviderLimits;
  /** Peers likely to hold the content (the requester's node among them), asked before the DHT. */
  from?: string[];
  /** The peer among `from` that held the content asked for first (set by the load). */
  holder?: string;
  /**
   * Peer id of the peer that last held content of this job's requester (RequesterHolders): asked
   * alone first, and the others only if it lacks the content.
   */
  hint?: string;
  /** Told the holder once the load found it. */
  onHolder?: (holder: string) => void;
  /** Modules this node already accepted (skips validating them again); without it every load validates. */
  validated?: ValidatedModules;
  signal?: AbortSignal;
};

/**
 * Bytes of one CID: from the peer among `from` that holds it (all asked at once, see
 * ContentStore.findHolder; idle timeout `directFetchTimeoutMs`), then through the DHT's
 * providers. The peer that held the first CID asked for is most likely the job's requester:
 * it is remembered in `p.holder` and asked first for the rest. Content already local never
 * touches the network.
 */
async function fetchBytes(p: LoadJobParameters, cid: CID, o: { maxBytes?: number; timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array> {
  if (p.from?.length) {
    const timeoutMs = Math.min(o.timeoutMs, p.limits.directFetchTimeoutMs);
    if (p.holder === undefined) {
      const hinted = p.hint === undefined ? undefined : p.from.find((a) => a.endsWith(`/p2p/${p.hint}`));
      if (hinted) p.holder = (await p.content.findHolder(cid, [hinted], { timeoutMs, signal: o.signal }))?.toString();
      const others = hinted ? p.from.filter((a) => a !== hinted) : p.from;
      if (p.holder === undefined && others.length) p.holder = (await p.content.findHolder(cid, others, { timeoutMs, signal: o.signal }))?.toString();
      if (p.holder) p.onHolder?.(p.holder);
    }
    if (p.holder) {
      try {
        return await p.content.getBytes(cid, { maxBytes: o.maxBytes, timeoutMs, from: [p.holder, ...p.from.filter((a) => a !== p.holder)], signal: o.signal });
      } catch (err) {
        if (!(err instanceof ContentNotFoundError) || o.signal?.aborted) throw err;
      }
    }
  }
  return p.content.getBytes(cid, { maxBytes: o.maxBytes, timeoutMs: o.timeoutMs, signal: o.signal });
}

/** The manifest alone, canonical and within MAX_MANIFEST_BYTES, or InvalidManifestError / ContentNotFoundError. */
export async function fetchManifest(p: LoadJobParameters): Promise<Manifest> {
  const bytes = await fetchBytes(p, p.manifestCid, { maxBytes: MAX_MANIFEST_BYTES, timeoutMs: p.limits.manifestFetchTimeoutMs, signal: p.signal });
  return decodeManifest(bytes);
}

/**
 * The peer that last held a job's content, by the job's requester (its address, from JobPosted):
 * a requester's jobs are almost always served by its one node, so that peer is asked alone
 * first. Asking every connected requester's node for every manifest cost each provider a stream
 * per requester per job, and each requester's node one per provider per job, though only one of
 * them ever held it (bench:realchain runs eleven requester nodes). Bounded: the oldest requester
 * is forgotten past `max`.
 */
export class RequesterHolders {
  private readonly peers = new Map<string, string>();
  private readonly max: number;
  constructor(max = 1024) {
    this.max = max;
  }
  /** The holder's peer id last recorded for `requester`. */
  get(requester: string | undefined): string | undefined {
    return requester === undefined ? undefined : this.peers.get(requester.toLowerCase());
  }
  /** Records the holder (a multiaddr ending in /p2p/<peer id>) that served `requester`'s content. */
  set(requester: string | undefined, holder: string): void {
    const id = holder.split("/p2p/").pop();
    if (requester === undefined || !id) return;
    const key = requester.toLowerCase();
    this.peers.delete(key);
    this.peers.set(key, id);
    if (this.peers.size > this.max) this.peers.delete(this.peers.keys().next().value!);
  }
}

/**
 * Modules already validated, by CID and memory limit: a market posts the same module again
 * and again, and parsing and instrumenting it was a visible share of the node's CPU per job.
 * A CID names the bytes, so the answer cannot change; invalid modules are not remembered
 * (they throw, and the job is declined). One per node (its job driver holds it), not one per
 * process: two nodes in one process (tests, devnet) no longer share what they checked.
 */
export class ValidatedModules {
  private readonly keys = new Set<string>();
  private readonly max: number;
  constructor(max = 1024) {
    this.max = max;
  }
  /** Validates the module unless this node already accepted it under the same memory limit. */
  check(job: SandboxJob, manifest: Manifest): void {
    const key = `${manifest.module} ${manifest.limits.memoryPages}`;
    if (this.keys.has(key)) return;
    validateModule(job.module, { memoryPages: manifest.limits.memoryPages });
    if (this.keys.size >= this.max) this.keys.clear();
    this.keys.add(key);
  }
}

/**
 * Fetches everything a job needs (verified block by block against its CID, within this node's
 * size limits) and checks the module is one the sandbox accepts. The node does this before it
 * bids: a module every provider would refuse is a job every winner would be slashed for.
 */
export async function loadJob(p: LoadJobParameters, manifest?: Manifest): Promise<LoadedJob> {
  const m = manifest ?? (await fetchManifest(p));
  const fetch = (cid: CID, o: { signal?: AbortSignal; maxBytes?: number }) => fetchBytes(p, cid, { maxBytes: o.maxBytes, timeoutMs: p.limits.contentFetchTimeoutMs, signal: o.signal });
  const job = await loadSandboxJob(m, p.manifestCid, fetch, { signal: p.signal, maxModuleBytes: p.limits.maxModuleBytes, maxInputBytes: p.limits.maxInputBytes });
  (p.validated ?? new ValidatedModules()).check(job, m);
  const inputBytes = (job.stdin?.length ?? 0) + Object.values(job.inputs ?? {}).reduce((n, b) => n + b.length, 0);
  return { manifest: m, job, moduleBytes: job.module.length, inputBytes };
}

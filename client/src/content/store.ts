import type { Helia } from "@helia/interface";
import type { AbortOptions, Libp2p } from "@libp2p/interface";
import type { KadDHT } from "@libp2p/kad-dht";
import { peerIdFromCID } from "@libp2p/peer-id";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { exporter } from "ipfs-unixfs-exporter";
import { importByteStream, importBytes, importer } from "ipfs-unixfs-importer";
import * as dagPb from "@ipld/dag-pb";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Blockstore } from "interface-blockstore";
import type { CID } from "multiformats/cid";
import all from "it-all";
import drain from "it-drain";
import { joinChunks, pooledReader } from "../transfer/block-readers.ts";
import { DirectChannelListener } from "../transfer/channel-listener.ts";
import { serveBlocks } from "../transfer/serve-blocks.ts";
import { streamFileFromPeers, type FileRange, type ProviderInfo } from "./file-from-peers.ts";
import { findHolder, type FindHolderOptions } from "./find-holder.ts";
import { abortable, walk } from "./import-sources.ts";
import { CID_PROFILE } from "./cid.ts";
import { CONTENT_LIMITS, type ContentLimits } from "./constants.ts";
import { ContentNotFoundError, ContentTooLargeError, InvalidContentPathError, NotAFileError } from "./errors.ts";

export type AddOptions = AbortOptions & {
  /** Keep the content through gc (default true: what you add is what you mean to serve). */
  pin?: boolean;
};

export type GetOptions = AbortOptions & {
  /** Peers known to hold the content, tried before the DHT: multiaddrs ending in /p2p/<id>. */
  from?: Array<Multiaddr | string>;
  /** Fail at once if a block is not local. */
  offline?: boolean;
  /** Give up when no block arrived for this long (default CONTENT_LIMITS.getTimeoutMs). */
  timeoutMs?: number;
  offset?: number;
  length?: number;
  /**
   * Each chunk `cat` yields stays valid only until the next is asked for: its buffer may then
   * receive a later block. For readers that use each chunk before the next (write it out,
   * hash it, copy it); it spares a fresh buffer per block and the full garbage collections
   * those set off (see ReceiveBuffers). Copy what you keep.
   */
  reuseChunks?: boolean;
};

/** Reads a local block into a given buffer (see BlockFiles.readInto); `verify` as the node's blockstore does. */
export type LocalReadInto = { read: (cid: CID, into: Uint8Array) => Promise<Uint8Array>; verify: boolean };
/** Room for a 1 MiB leaf (docs/DESIGN.md's chunk) and the byte that shows the file ended. */
const POOLED_READ_BYTES = 1024 * 1024 + 4096;

export type DirectoryEntry = { name: string; cid: CID; size: bigint };

/**
 * The content store of one Accord node: UnixFS DAGs in docs/DESIGN.md's profile (so a CID here is
 * the CID `cidOfBytes` and any IPFS tool give), kept in the node's blockstore, exchanged
 * over bitswap and announced in the DHT. Reads are streamed: a file is never whole in memory.
 */
export class ContentStore {
  readonly helia: Helia;
  readonly libp2p: Libp2p;
  readonly limits: ContentLimits;

  /** The node's own blocks (verified as they are read), without Helia's network layer. */
  readonly #localBlocks: Blockstore;
  readonly #readInto?: LocalReadInto;

  constructor(helia: Helia & { libp2p: Libp2p }, limits: Partial<ContentLimits> = {}, options: { localBlocks?: Blockstore; readInto?: LocalReadInto } = {}) {
    this.helia = helia;
    this.#localBlocks = options.localBlocks ?? helia.blockstore;
    this.#readInto = options.readInto;
    this.libp2p = helia.libp2p;
    this.limits = { ...CONTENT_LIMITS, ...limits };
  }

  /** The listener of direct channels, when this node serves them. */
  direct?: DirectChannelListener;

  /**
   * Lets peers fetch whole DAGs this node holds over the block stream and, given the host
   * the node's libp2p TCP listener is on, over direct channels listening there too.
   */
  async serve(options: { directHost?: string } = {}): Promise<void> {
    if (options.directHost !== undefined && this.limits.directBlocks) {
      const direct = new DirectChannelListener({
        host: options.directHost,
        port: this.limits.directBlocksPort,
        ticketTimeoutMs: this.limits.blockStreamRequestTimeoutMs,
        maxChannels: this.limits.directBlocksMaxChannels,
        idleTimeoutMs: this.limits.directBlocksIdleTimeoutMs,
        highWaterBytes: this.limits.directBlocksSendHighWaterBytes,
      });
      await direct.listen();
      this.direct = direct;
    }
    // Served blocks are all local: Helia's layer would only add a has() per block before each read.
    await serveBlocks(
      this.libp2p,
      this.#localBlocks,
      {
        maxInboundStreams: this.limits.blockStreamMaxInboundStreams,
        requestTimeoutMs: this.limits.blockStreamRequestTimeoutMs,
        servedBlockCacheBytes: this.limits.servedBlockCacheBytes,
        servedBlockCacheMaxBlockBytes: this.limits.servedBlockCacheMaxBlockBytes,
      },
      this.direct,
      this.#readInto ? pooledReader(this.#readInto.read, this.#localBlocks, this.#readInto.verify, POOLED_READ_BYTES) : undefined,
    );
  }

  /** Closes the direct channel listener and every channel on it. */
  async stop(): Promise<void> {
    await this.direct?.close();
  }

  async add(bytes: Uint8Array, options: AddOptions = {}): Promise<CID> {
    const { cid } = await importBytes(bytes, this.helia.blockstore, { profile: CID_PROFILE });
    return this.afterAdd(cid, options);
  }

  async addStream(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: AddOptions = {}): Promise<CID> {
    const { cid } = await importByteStream(abortable(chunks, options.signal), this.helia.blockstore, { profile: CID_PROFILE });
    return this.afterAdd(cid, options);
  }

  async addFile(path: string, options: AddOptions = {}): Promise<CID> {
    const info = await stat(path).catch((err) => {
      throw new InvalidContentPathError(path, (err as Error).message);
    });
    if (!info.isFile()) throw new InvalidContentPathError(path, "it is not a regular file");
    return this.addStream(createReadStream(path, { highWaterMark: 1024 * 1024, signal: options.signal }), options);
  }

  /** Adds a directory tree; the CID is the UnixFS directory's, as `ipfs add -r` would give. */
  async addDirectory(path: string, options: AddOptions = {}): Promise<CID> {
    const info = await stat(path).catch((err) => {
      throw new InvalidContentPathError(path, (err as Error).message);
    });
    if (!info.isDirectory()) throw new InvalidContentPathError(path, "it is not a directory");
    let root: CID | undefined;
    for await (const entry of importer(abortable(walk(path), options.signal), this.helia.blockstore, { profile: CID_PROFILE, wrapWithDirectory: true })) {
      if (entry.path === "") root = entry.cid;
    }
    if (!root) throw new InvalidContentPathError(path, "the importer produced no root");
    return this.afterAdd(root, options);
  }

  private async afterAdd(cid: CID, options: AddOptions): Promise<CID> {
    if (options.pin !== false && !(await this.helia.pins.isPinned(cid, options))) await drain(this.helia.pins.add(cid, options));
    return cid;
  }

  /**
   * Streams a file's bytes. Content that is not all local comes over the block stream and
   * is handed to the reader as it arrives, each block only after it hashed to its CID, while
   * it is also written to the blockstore; bitswap (through the exporter) is the fallback.
   */
  async *cat(cid: CID, options: GetOptions = {}): AsyncGenerator<Uint8Array> {
    const timeoutMs = options.timeoutMs ?? this.limits.getTimeoutMs;
    // An idle timer, not a deadline: a 1 GiB file may take longer than timeoutMs to arrive.
    // It stops while the reader holds a chunk, so a slow reader is not taken for a dead peer.
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), timeoutMs);
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), timeoutMs);
    };
    const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
    const failures: string[] = [];
    let offset = options.offset ?? 0;
    let length = options.length;
    try {
      if (!options.offline && !(await this.has(cid, { signal }))) {
        const range: FileRange = { offset, length, delivered: 0, done: false };
        for await (const chunk of this.streamFromPeers(cid, options, range, signal, touch, failures)) {
          clearTimeout(timer);
          yield chunk;
          touch();
        }
        if (range.done) return;
        // What the reader already has is not sent again: the fallback starts after it.
        offset += range.delivered;
        if (length !== undefined) length -= range.delivered;
      }
      const opts = {
        signal,
        offline: options.offline,
        providers: (options.from && peerAddrs(options.from)),
        blockReadConcurrency: this.limits.blockReadAhead,
        offset,
        length,
      };
      const entry = await exporter(cid, this.helia.blockstore, opts);
      if (entry.type !== "file" && entry.type !== "raw" && entry.type !== "identity") throw new NotAFileError(cid.toString(), entry.type);
      for await (const chunk of entry.content(opts)) {
        clearTimeout(timer);
        yield chunk as Uint8Array;
        touch();
      }
    } catch (err) {
      if (options.signal?.aborted) throw err;
      if (idle.signal.aborted) throw new ContentNotFoundError(cid.toString(), timeoutMs, { cause: err, failures });
      if ((err as Error).name === "BlockNotFoundWhileOfflineError") throw new ContentNotFoundError(cid.toString(), timeoutMs, { cause: err, offline: true });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A file's bytes from peers (the `from` peers, else the DHT's providers as it finds them): file-from-peers.ts. */
  private streamFromPeers(cid: CID, options: GetOptions, range: FileRange, signal: AbortSignal, onBlock: () => void, failures: string[]): AsyncGenerator<Uint8Array> {
    // Providers are tried as the DHT finds them: waiting for the whole lookup (up to its
    // timeout when fewer than `maxProviders` exist, the usual case) held every fetch ~10 s.
    const peers = options.from?.length ? peerAddrs(options.from) : this.providersAsFound(cid, { signal, limit: this.limits.maxProviders });
    return streamFileFromPeers({ libp2p: this.libp2p, blockstore: this.#localBlocks, limits: this.limits }, cid, peers, { range, signal, onBlock, failures, reuseChunks: options.reuseChunks });
  }

  /**
   * A file's bytes in one buffer, refusing more than `maxBytes`. The chunks are copied into
   * a buffer that doubles as needed (so the blocks' own buffers are reused, and a file of
   * one chunk is one exact-size copy), trimmed at the end if over a MiB is spare.
   */
  async getBytes(cid: CID, options: GetOptions & { maxBytes?: number } = {}): Promise<Uint8Array> {
    const maxBytes = options.maxBytes ?? this.limits.maxGetBytes;
    let out = Buffer.alloc(0);
    let total = 0;
    for await (const chunk of this.cat(cid, { ...options, reuseChunks: true })) {
      if (total + chunk.length > maxBytes) throw new ContentTooLargeError(cid.toString(), maxBytes);
      if (total + chunk.length > out.length) {
        const grown = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(total + chunk.length, 2 * out.length)));
        grown.set(out.subarray(0, total));
        out = grown;
      }
      out.set(chunk, total);
      total += chunk.length;
    }
    return out.length - total > 1024 * 1024 ? Buffer.from(out.subarray(0, total)) : out.subarray(0, total);
  }

  /**
   * Which of `peers` holds `cid`, all asked at once (find-holder.ts): for a reader that knows
   * the content is with one of many connected peers but not which. Undefined when none has it
   * or it is already local (nothing to ask).
   */
  async findHolder(cid: CID, peers: Array<Multiaddr | string>, options: Partial<FindHolderOptions> = {}): Promise<Multiaddr | undefined> {
    if (await this.has(cid, { signal: options.signal })) return undefined;
    return findHolder({ libp2p: this.libp2p, blockstore: this.#localBlocks, limits: this.limits }, cid, peerAddrs(peers), {
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.limits.blockStreamRequestTimeoutMs,
    });
  }

  /** The entries of a UnixFS directory. */
  async ls(cid: CID, options: GetOptions = {}): Promise<DirectoryEntry[]> {
    const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? this.limits.getTimeoutMs), ...(options.signal ? [options.signal] : [])]);
    const opts = { signal, offline: options.offline, providers: (options.from && peerAddrs(options.from)) };
    const entry = await exporter(cid, this.helia.blockstore, opts);
    if (entry.type !== "directory") throw new NotAFileError(cid.toString(), `${entry.type} (not a directory)`);
    const out: DirectoryEntry[] = [];
    for await (const child of entry.entries(opts)) out.push({ name: child.name, cid: child.cid, size: child.size });
    return out;
  }

  /**
   * True when every block of the DAG is in the local store (no network). Asked of the node's own
   * blocks, not through Helia's layer (its locks and session checks): every fetch and every
   * findHolder starts here, several times per job on a provider.
   */
  async has(cid: CID, options: AbortOptions = {}): Promise<boolean> {
    const pending = [cid];
    while (pending.length) {
      const next = pending.pop()!;
      // An identity CID holds its bytes itself.
      if (next.multihash.code === IDENTITY_CODE) continue;
      if (!(await this.#localBlocks.has(next, options))) return false;
      if (next.code === dagPb.code) {
        const node = dagPb.decode(await joinChunks(this.#localBlocks.get(next, options)));
        for (const link of node.Links) pending.push(link.Hash);
      }
    }
    return true;
  }

  /** Announces in the DHT that this node holds `cid`. */
  async provide(cid: CID, options: AbortOptions = {}): Promise<void> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.limits.provideTimeoutMs), ...(options.signal ? [options.signal] : [])]);
    await this.helia.routing.provide(cid, { signal });
  }

  /**
   * Peers the DHT says hold `cid`, at most `limit`, within the lookup timeout. Asks the DHT
   * directly rather than through Helia's and libp2p's routing layers, which write each
   * provider's addresses to the peer store (a file in the datastore) before yielding it; the
   * addresses are stored only for the providers a fetch dials.
   */
  async findProviders(cid: CID, options: AbortOptions & { limit?: number; timeoutMs?: number } = {}): Promise<ProviderInfo[]> {
    return all(this.providersAsFound(cid, options));
  }

  /**
   * The same lookup, yielding each provider the moment the DHT names it, so a fetch can start
   * on the first one while the lookup goes on. Ends at `limit` providers or the lookup timeout
   * (a lookup that runs out of time has yielded what it found; it is not an error).
   */
  async *providersAsFound(cid: CID, options: AbortOptions & { limit?: number; timeoutMs?: number } = {}): AsyncGenerator<ProviderInfo> {
    const limit = options.limit ?? this.limits.maxProviders;
    const deadline = AbortSignal.timeout(options.timeoutMs ?? this.limits.findProvidersTimeoutMs);
    const stop = new AbortController();
    const signal = AbortSignal.any([deadline, stop.signal, ...(options.signal ? [options.signal] : [])]);
    const found = new Map<string, ProviderInfo>();
    const dht = (this.libp2p.services as { dht?: KadDHT }).dht;
    try {
      if (dht) {
        for await (const event of dht.findProviders(cid, { signal })) {
          if (event.name !== "PROVIDER") continue;
          for (const p of event.providers) {
            if (found.size >= limit || found.has(p.id.toString())) continue;
            const info = { id: p.id, multiaddrs: p.multiaddrs };
            found.set(p.id.toString(), info);
            yield info;
          }
          if (found.size >= limit) break;
        }
      } else {
        for await (const p of this.helia.routing.findProviders(cid, { signal })) {
          const id = peerIdFromCID(p.id);
          if (found.has(id.toString())) continue;
          const info = { id, multiaddrs: p.multiaddrs };
          found.set(id.toString(), info);
          yield info;
          if (found.size >= limit) break;
        }
      }
    } catch (err) {
      // A lookup that ran out of time still returns what it found by then.
      if (options.signal?.aborted) throw err;
      if (!deadline.aborted && !stop.signal.aborted) throw err;
    } finally {
      stop.abort();
    }
  }

  async pin(cid: CID, options: GetOptions = {}): Promise<void> {
    if (await this.helia.pins.isPinned(cid, options)) return;
    const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? this.limits.getTimeoutMs), ...(options.signal ? [options.signal] : [])]);
    await drain(this.helia.pins.add(cid, { signal }));
  }

  async unpin(cid: CID, options: AbortOptions = {}): Promise<void> {
    if (!(await this.helia.pins.isPinned(cid, options))) return;
    await drain(this.helia.pins.rm(cid, options));
  }

  isPinned(cid: CID, options: AbortOptions = {}): Promise<boolean> {
    return this.helia.pins.isPinned(cid, options);
  }

  /** Deletes every block that no pin reaches. */
  async gc(options: AbortOptions = {}): Promise<void> {
    await this.helia.gc(options);
  }
}

/** The identity multihash: the "hash" is the bytes themselves. */
const IDENTITY_CODE = 0x00;

/** The `from` peers as multiaddrs. */
function peerAddrs(from: Array<Multiaddr | string>): Multiaddr[] {
  return from.map((a) => (typeof a === "string" ? multiaddr(a) : a));
}

import { NotStartedError, peerDiscoverySymbol, serviceCapabilities } from "@libp2p/interface";
import type { AbortOptions, ComponentLogger, Connection, Logger, PeerDiscovery, PeerDiscoveryEvents, PeerId, PeerInfo, PeerStore, Startable } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { TypedEventEmitter } from "main-event";
import { dialableAddresses, peerIdString } from "../chain/peerAddresses.ts";
import type { ProviderRegistry, RegisteredProvider } from "../chain/providers.ts";

/** How often the registry is read again for providers that registered or moved. */
export const REGISTRY_DISCOVERY_INTERVAL_MS = 60_000;
/** One read of the registry (an eth_getLogs from the last block read) is abandoned after this. */
export const REGISTRY_READ_TIMEOUT_MS = 5_000;

export type RegistryDiscoveryInit = {
  /**
   * The JobMarket's provider registry (`providerRegistry` of `@accord/client/chain`, or any
   * reader returning the registered providers, such as an indexer's copy).
   */
  registry: ProviderRegistry;
  /** Between the end of one read and the start of the next (default REGISTRY_DISCOVERY_INTERVAL_MS). */
  intervalMs?: number;
  /**
   * From start to the first read (default 0). A node whose other services start after libp2p
   * (Helia's bitswap) delays it and calls refresh() once they have: a peer connected before a
   * protocol is handled takes this node for one without it.
   */
  firstReadDelayMs?: number;
  /** Default REGISTRY_READ_TIMEOUT_MS. */
  readTimeoutMs?: number;
  /**
   * Whether a round dials the registered providers it is not connected to (default: always).
   * The first round always dials: joining the network is what the registry is for.
   */
  dialWhile?: () => boolean;
};

/** What libp2p hands a peer discovery module (the same components @libp2p/bootstrap takes). */
export type RegistryDiscoveryComponents = {
  peerId: PeerId;
  peerStore: PeerStore;
  logger: ComponentLogger;
  connectionManager: { openConnection(peer: PeerId, options?: AbortOptions): Promise<Connection> };
};

export interface RegistryDiscovery extends PeerDiscovery, Startable {
  /** Peer ids (strings) of the providers registered now, other than this node; updated in place each round. */
  readonly peerIds: ReadonlySet<string>;
  /**
   * Reads the registry now (or joins the read under way), emits each provider that is new or
   * moved, and dials them as `dialWhile` says; resolves when those dials have settled.
   */
  refresh(options?: AbortOptions): Promise<void>;
}

/**
 * Peer discovery from the JobMarket's provider registry: every registered provider's peer id
 * and addresses, read from the chain at start and every `intervalMs`. A `peer` event for each
 * provider first seen or listed at new addresses; libp2p adds it to the peer store. Like
 * @libp2p/bootstrap it also dials them, since libp2p 3 does not dial discovered peers itself:
 * a requester connected to the providers is the peer they ask first for its job's content, and
 * a node joins the DHT through them.
 */
export function registryDiscovery(init: RegistryDiscoveryInit): (components: RegistryDiscoveryComponents) => RegistryDiscovery {
  const peers = async (options: AbortOptions) => (await init.registry(options)).map(providerPeerInfo).filter((p) => p !== undefined);
  return (components) => new RegistryDiscoveryService(components, { ...init, peers });
}

type ServiceInit = Omit<RegistryDiscoveryInit, "registry"> & { peers: (options: AbortOptions) => Promise<PeerInfo[]> };

/** A registered provider as libp2p's PeerInfo, or undefined when its record names no valid peer. */
export function providerPeerInfo(provider: RegisteredProvider): PeerInfo | undefined {
  const id = peerIdString(provider.peerId);
  if (!id) return undefined;
  const multiaddrs: Multiaddr[] = [];
  // Anyone can register, so one unparseable address must not hide the provider's others.
  for (const a of dialableAddresses(provider.peerId, provider.multiaddrs))
    try {
      multiaddrs.push(multiaddr(a));
    } catch {}
  return multiaddrs.length > 0 ? { id: peerIdFromString(id), multiaddrs } : undefined;
}

class RegistryDiscoveryService extends TypedEventEmitter<PeerDiscoveryEvents> implements RegistryDiscovery {
  readonly [peerDiscoverySymbol] = this;
  readonly [Symbol.toStringTag] = "@accord/registry-discovery";
  readonly [serviceCapabilities] = ["@libp2p/peer-discovery"];

  readonly #components: RegistryDiscoveryComponents;
  readonly #init: ServiceInit;
  readonly #log: Logger;
  readonly #peerIds = new Set<string>();
  /** The addresses each provider was last emitted with, so an unchanged one is not emitted again. */
  readonly #emitted = new Map<string, string>();
  #stopped?: AbortController;
  #round?: Promise<void>;
  #rounds = 0;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(components: RegistryDiscoveryComponents, init: ServiceInit) {
    super();
    this.#components = components;
    this.#init = init;
    this.#log = components.logger.forComponent("accord:registry-discovery");
  }

  get peerIds(): ReadonlySet<string> {
    return this.#peerIds;
  }

  start(): void {
    if (this.#stopped && !this.#stopped.signal.aborted) return;
    this.#stopped = new AbortController();
    this.#schedule(this.#init.firstReadDelayMs ?? 0);
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh().catch(() => {}), ms);
    this.#timer.unref?.();
  }

  stop(): void {
    this.#stopped?.abort();
    clearTimeout(this.#timer);
  }

  async refresh(options: AbortOptions = {}): Promise<void> {
    const stopped = this.#stopped?.signal;
    if (!stopped || stopped.aborted) throw new NotStartedError("registry discovery is not running: start the libp2p node first");
    clearTimeout(this.#timer);
    this.#round ??= this.#read(stopped).finally(() => {
      this.#round = undefined;
      if (!stopped.aborted) this.#schedule(this.#init.intervalMs ?? REGISTRY_DISCOVERY_INTERVAL_MS);
    });
    const round = this.#round;
    if (!options.signal) return round;
    options.signal.throwIfAborted();
    const signal = options.signal;
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => (onAbort = () => reject(signal.reason)));
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await Promise.race([round, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #read(stopped: AbortSignal): Promise<void> {
    let providers: PeerInfo[];
    try {
      providers = await this.#init.peers({ signal: AbortSignal.any([stopped, AbortSignal.timeout(this.#init.readTimeoutMs ?? REGISTRY_READ_TIMEOUT_MS)]) });
    } catch (err) {
      // The chain may be unreachable for a while; the next round tries again.
      this.#log("could not read the provider registry - %e", err);
      return;
    }
    const self = this.#components.peerId.toString();
    const found = providers.filter((p) => p.id.toString() !== self);
    this.#peerIds.clear();
    for (const p of found) this.#peerIds.add(p.id.toString());

    const dial = this.#rounds++ === 0 || (this.#init.dialWhile?.() ?? true);
    const dials: Promise<unknown>[] = [];
    for (const peer of found) {
      if (stopped.aborted) return;
      const id = peer.id.toString();
      const addrs = peer.multiaddrs.map(String).join(" ");
      if (this.#emitted.get(id) !== addrs) {
        // In the store before the dial, which looks the addresses up there.
        await this.#components.peerStore.merge(peer.id, { multiaddrs: peer.multiaddrs }).catch((err) => this.#log.error("could not store the addresses of %p - %e", peer.id, err));
        this.#emitted.set(id, addrs);
        this.safeDispatchEvent("peer", { detail: peer });
      }
      // A provider that is down must not hold up the others.
      if (dial) dials.push(this.#components.connectionManager.openConnection(peer.id, { signal: stopped }).catch((err) => this.#log("could not dial provider %p - %e", peer.id, err)));
    }
    await Promise.all(dials);
  }
}

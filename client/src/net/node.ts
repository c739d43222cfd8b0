import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { withBitswap } from "@helia/bitswap";
import type { Helia } from "@helia/interface";
import { withLibp2pLight } from "@helia/libp2p";
import { autoNAT } from "@libp2p/autonat";
import { circuitRelayTransport } from "@libp2p/circuit-relay-v2";
import { dcutr } from "@libp2p/dcutr";
import { identify } from "@libp2p/identify";
import type { Libp2p, PeerId } from "@libp2p/interface";
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT, type SingleKadDHT } from "@libp2p/kad-dht";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { createHeliaLight } from "helia";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ContentLimits } from "../content/constants.ts";
import { BlockFiles } from "../content/fs-blockstore.ts";
import { ContentStore } from "../content/store.ts";
import { VerifyingBlockstore } from "../content/verifying-blockstore.ts";
import { BITSWAP_PROTOCOL, DEFAULT_LISTEN_ADDRS, DHT_PROTOCOL, NET_LIMITS, type NetLimits } from "./constants.ts";
import { InvalidPeerAddressError } from "./errors.ts";
import { NodeDatastore } from "./peer-datastore.ts";
import { answerKnownProtocolMerges } from "./protocol-merges.ts";
import { loadOrCreatePeerKey } from "./peer-key.ts";
import { hasPublicCandidate, ReachabilityTracker, transportListener, type ReachabilityLimits, type TransportListener } from "./reachability.ts";
import { closeIdleRelayedConnections, DEFAULT_RELAY_RESERVATIONS, RELAY_RESERVATION_TIMEOUT_MS, RELAYED_CONNECTION_IDLE_MS, relayService, type RelayOptions } from "./relay.ts";
import type { ProviderRegistry } from "../chain/providers.ts";
import { registryDiscovery, type RegistryDiscovery, type RegistryDiscoveryComponents } from "./registry-discovery.ts";
import { dialProtocol, handleProtocol, toDialTarget, type DialProtocolOptions, type HandleProtocolOptions, type PeerTarget, type ProtocolHandler } from "./protocol.ts";

export type AccordNodeOptions = {
  /** Where the peer key, blocks, pins and DHT records live; reused across restarts. */
  dataDir: string;
  /** Multiaddrs to listen on (default /ip4/127.0.0.1/tcp/0). */
  listen?: string[];
  /** Addresses to tell peers instead of the listen addresses (behind NAT, in containers). */
  announce?: string[];
  /** Peers to join the network through: multiaddrs ending in /p2p/<peer id>. */
  bootstrap?: string[];
  /**
   * The JobMarket's provider registry (`providerRegistry` of `@accord/client/chain`): its
   * providers are discovered through a libp2p PeerDiscovery module (registry-discovery.ts),
   * read at start and every `registryIntervalMs`, dialled at start and again while the
   * routing table is small.
   */
  providerRegistry?: ProviderRegistry;
  /** Default limits.discoverPeersIntervalMs. */
  registryIntervalMs?: number;
  /**
   * Keep private and loopback addresses in DHT records (default true, what a devnet on one
   * machine needs). Set false on the public internet so peers are not sent to 10.x.x.x.
   */
  privateAddresses?: boolean;
  /**
   * Whether this node may answer other peers' DHT queries once they can reach it (default true).
   * false keeps it a DHT client, as IPFS keeps its short-lived and light nodes: a process that
   * lives for one command (the CLI's) would otherwise enter every peer's routing table, be asked
   * its share of their lookups and provider records, and leave a dead entry behind when it exits.
   * Its own lookups, announcements and content serving are the same either way.
   */
  dhtServer?: boolean;
  limits?: Partial<NetLimits>;
  content?: Partial<ContentLimits>;
  /** Verify blocks read from the local disk (default true). */
  verifyLocalBlocks?: boolean;
  /**
   * Reaching and being reached from behind NAT: relay reservations when no direct address
   * is found, and relaying for others (see relay.ts). AutoNAT and DCUtR always run.
   */
  relay?: RelayOptions;
  reachability?: Partial<ReachabilityLimits>;
  signal?: AbortSignal;
};

export type AccordNode = {
  readonly peerId: PeerId;
  /** Where peers can dial this node, each ending in /p2p/<peer id>. */
  readonly multiaddrs: Multiaddr[];
  readonly content: ContentStore;
  readonly libp2p: Libp2p<{ dht: KadDHT }>;
  readonly helia: Helia;
  readonly limits: NetLimits;
  /** Connects to a peer (multiaddr string, Multiaddr or PeerId already known). */
  dial(target: PeerTarget, options?: { signal?: AbortSignal }): Promise<void>;
  handleProtocol(protocol: string, handler: ProtocolHandler, options?: HandleProtocolOptions): Promise<void>;
  dialProtocol(peer: PeerTarget, protocol: string, request: Uint8Array, options?: DialProtocolOptions): Promise<Uint8Array>;
  /** Peers currently in the DHT routing table. */
  routingTableSize(): number;
  /** Peer ids of the registered providers (other than this node) as of the last registry read; empty without `providerRegistry`. */
  readonly registeredPeers: ReadonlySet<string>;
  /** Whether peers can reach this node, and at which addresses (public, through relays, not at all). */
  readonly reachability: ReachabilityTracker;
  stop(): Promise<void>;
};

const ROUTING_TABLE_POLL_MS = 10;

/** The host of the first TCP listen address, where the content store's direct channels listen too. */
function tcpListenHost(listen: string[]): string | undefined {
  for (const address of listen) {
    const parts = multiaddr(address).getComponents();
    const ip = parts.find((c) => c.name === "ip4" || c.name === "ip6");
    if (ip?.value !== undefined && parts.some((c) => c.name === "tcp")) return ip.value;
  }
  return undefined;
}

function checkPeerAddress(address: string): string {
  const target = toDialTarget(address);
  if (!("getComponents" in target) || !target.getComponents().some((c) => c.name === "p2p"))
    throw new InvalidPeerAddressError(address, "it does not end in /p2p/<peer id>, so the peer cannot be authenticated");
  return address;
}

/**
 * kadDHT()'s factory is typed as returning KadDHT, while what it makes is the SingleKadDHT
 * the package also exports, whose `routingTable.size` is kad-dht's only public view of the
 * table (the table's own events are not exported). The one cast of it is here.
 */
const routingTableSize = (libp2p: Libp2p<{ dht: KadDHT }>): number => (libp2p.services.dht as SingleKadDHT).routingTable.size;

async function waitForRoutingTable(libp2p: Libp2p<{ dht: KadDHT }>, signal: AbortSignal): Promise<void> {
  while (routingTableSize(libp2p) === 0 && !signal.aborted) await new Promise((r) => setTimeout(r, ROUTING_TABLE_POLL_MS));
}

/**
 * Kademlia's join: a lookup of our own id fills the routing table with our neighbours and
 * puts us in theirs. Without it a node that joined through one peer starts each of its
 * first lookups from that peer and dials the rest cold, one handshake per hop (the slow
 * tail of findProviders). Bounded by the bootstrap timeout; a failure only leaves the table
 * to fill as it would have anyway.
 */
async function lookUpSelf(libp2p: Libp2p<{ dht: KadDHT }>, signal: AbortSignal): Promise<void> {
  try {
    for await (const _ of libp2p.services.dht.getClosestPeers(libp2p.peerId.toMultihash().bytes, { signal }));
  } catch {
    // Out of time or no peer answered.
  }
}

/** Starts an Accord peer: libp2p (TCP, noise, yamux, Kademlia on DHT_PROTOCOL) and Helia content. */
export async function createAccordNode(options: AccordNodeOptions): Promise<AccordNode> {
  const limits: NetLimits = { ...NET_LIMITS, ...options.limits };
  const bootstrap = (options.bootstrap ?? []).map(checkPeerAddress);
  options.signal?.throwIfAborted();

  const listen = options.listen ?? DEFAULT_LISTEN_ADDRS;
  const privateAddresses = options.privateAddresses !== false;
  const publicCandidate = hasPublicCandidate(listen, options.announce);
  const serveRelay = options.relay?.serve === true || ((options.relay?.serve ?? "auto") === "auto" && publicCandidate);
  await mkdir(options.dataDir, { recursive: true });
  const privateKey = await loadOrCreatePeerKey(join(options.dataDir, "peer.key"));
  const fsBlocks = new BlockFiles(join(options.dataDir, "blocks"));
  await fsBlocks.open();
  const datastore = new NodeDatastore(join(options.dataDir, "datastore"));
  await datastore.open();
  const blockstore = options.verifyLocalBlocks === false ? fsBlocks : new VerifyingBlockstore(fsBlocks);

  // Registered providers come in through a PeerDiscovery service; kept here to await its first round.
  let discovery: RegistryDiscovery | undefined;
  let listener: TransportListener | undefined;
  let libp2pStarted: Libp2p<{ dht: KadDHT }> | undefined;
  const registryIntervalMs = options.registryIntervalMs ?? limits.discoverPeersIntervalMs;
  const discoveryInit = {
    intervalMs: registryIntervalMs,
    // Read once Helia has started (below), not with libp2p: see firstReadDelayMs.
    firstReadDelayMs: registryIntervalMs,
    readTimeoutMs: limits.bootstrapTimeoutMs,
    dialWhile: () => libp2pStarted === undefined || routingTableSize(libp2pStarted) < limits.minRoutingTablePeers,
  };
  const discoveryFactory = options.providerRegistry ? registryDiscovery({ ...discoveryInit, registry: options.providerRegistry }) : undefined;

  const helia = withBitswap(
    withLibp2pLight(createHeliaLight({ blockstore, datastore }), {
      privateKey,
      addresses: { listen, announce: options.announce },
      transports: [
        tcp({ inboundSocketInactivityTimeout: limits.socketInactivityTimeoutMs, outboundSocketInactivityTimeout: limits.socketInactivityTimeoutMs }),
        // Dials /p2p-circuit addresses, and listens on relays once ReachabilityTracker asks it to.
        circuitRelayTransport({ reservationCompletionTimeout: options.relay?.reservationTimeoutMs ?? RELAY_RESERVATION_TIMEOUT_MS }),
      ],
      connectionEncrypters: [noise()],
      streamMuxers: [
        yamux({
          maxInboundStreams: limits.maxInboundStreamsPerConnection,
          maxOutboundStreams: limits.maxOutboundStreamsPerConnection,
          maxMessageSize: limits.maxMuxerMessageBytes,
          streamOptions: {
            inactivityTimeout: limits.streamInactivityTimeoutMs,
            maxReadBufferLength: limits.maxStreamReadBufferBytes,
            maxStreamWindowSize: limits.maxStreamWindowBytes,
          },
        }),
      ],
      connectionManager: {
        maxConnections: limits.maxConnections,
        maxIncomingPendingConnections: limits.maxIncomingPendingConnections,
        inboundConnectionThreshold: limits.maxInboundConnectionsPerHostPerSecond,
        dialTimeout: limits.dialTimeoutMs,
        inboundUpgradeTimeout: limits.inboundUpgradeTimeoutMs,
        inboundStreamProtocolNegotiationTimeout: limits.protocolNegotiationTimeoutMs,
        outboundStreamProtocolNegotiationTimeout: limits.protocolNegotiationTimeoutMs,
      },
      services: {
        identify: identify(),
        // Asks peers to dial our public-looking addresses back; answers their asks.
        autoNAT: autoNAT(),
        // Upgrades relayed connections to direct ones where either side can be dialled.
        dcutr: dcutr(),
        ...(serveRelay ? { relay: relayService(options.relay?.limits) } : {}),
        // Relay reservations are listen addresses, taken after start (ReachabilityTracker).
        transportListener: transportListener((l) => (listener = l)),
        ...(discoveryFactory ? { registry: (components: RegistryDiscoveryComponents) => (discovery = discoveryFactory(components)) } : {}),
        // kad-dht pings peers before admitting them to its routing table.
        ping: ping({ maxInboundStreams: limits.pingMaxStreams, maxOutboundStreams: limits.pingMaxStreams }),
        dht: kadDHT({
          protocol: DHT_PROTOCOL,
          // A node started with a listen address is dialable by the peers it tells it to, unless
          // it has none that is public and private ones do not count: then it is behind NAT,
          // and peers would put it in their routing tables only to fail to query it. It turns
          // server once it finds a public address (ReachabilityTracker).
          clientMode: options.dhtServer === false || (!privateAddresses && !publicCandidate),
          peerInfoMapper: options.privateAddresses === false ? removePrivateAddressesMapper : passthroughMapper,
          incomingMessageTimeout: limits.dhtIncomingMessageTimeoutMs,
          maxInboundStreams: limits.dhtMaxInboundStreams,
          maxOutboundStreams: limits.dhtMaxOutboundStreams,
          initialQuerySelfInterval: 250,
        }),
      },
    }),
    {
      protocol: BITSWAP_PROTOCOL,
      maxIncomingMessageSize: limits.bitswapMaxMessageBytes,
      maxOutgoingMessageSize: limits.bitswapMaxMessageBytes,
      maxInboundStreams: limits.bitswapMaxInboundStreams,
      maxOutboundStreams: limits.bitswapMaxOutboundStreams,
      maxWantlistSize: limits.bitswapMaxWantlistSize,
      messageReceiveTimeout: limits.bitswapMessageTimeoutMs,
      messageSendTimeout: limits.bitswapMessageTimeoutMs,
    },
  );
  await helia.start();
  const libp2p: Libp2p<{ dht: KadDHT }> = helia.libp2p;
  answerKnownProtocolMerges(libp2p);
  libp2pStarted = libp2p;
  const reachability = new ReachabilityTracker(libp2p, {
    privateAddresses,
    relayClient: options.relay?.client ?? "auto",
    reservations: options.relay?.reservations ?? DEFAULT_RELAY_RESERVATIONS,
    relayServer: serveRelay,
    publicCandidate,
    dhtServer: options.dhtServer !== false,
    listener: listener!,
    limits: options.reachability,
  });

  const stopped = new AbortController();
  const dial = async (target: PeerTarget, opts: { signal?: AbortSignal } = {}) => {
    const signal = AbortSignal.any([AbortSignal.timeout(limits.dialTimeoutMs), stopped.signal, ...(opts.signal ? [opts.signal] : [])]);
    await libp2p.dial(toDialTarget(target), { signal });
  };
  const dialAll = async (addresses: string[], signal?: AbortSignal) => {
    const own = libp2p.peerId.toString();
    const others = addresses.filter((a) => !a.endsWith(`/p2p/${own}`));
    // A peer that is down must not stop the node from joining through the others.
    await Promise.allSettled(others.map((a) => dial(a, { signal })));
  };

  try {
    const first = AbortSignal.any([AbortSignal.timeout(limits.bootstrapTimeoutMs), ...(options.signal ? [options.signal] : [])]);
    // The registry's first read, once bitswap (started after libp2p) handles its protocol.
    await Promise.all([dialAll(bootstrap, first), discovery?.refresh({ signal: first }).catch(() => {})]);
    // Queries made before a connected peer enters the routing table stall until they time
    // out, so a node is handed out only once the DHT can route (or there is no one to route to).
    if (libp2p.getConnections().length > 0) {
      await waitForRoutingTable(libp2p, first);
      await lookUpSelf(libp2p, first);
    }
    options.signal?.throwIfAborted();
    reachability.start();
  } catch (err) {
    reachability.stop();
    await helia.stop();
    throw err;
  }
  const stopClosingIdleRelayed = closeIdleRelayedConnections(libp2p, options.relay?.idleConnectionMs ?? RELAYED_CONNECTION_IDLE_MS);
  const rediscover = setInterval(() => {
    if (routingTableSize(libp2p) >= limits.minRoutingTablePeers) return;
    void dialAll(bootstrap);
  }, limits.discoverPeersIntervalMs);
  rediscover.unref();

  const content = new ContentStore(helia, options.content, {
    localBlocks: blockstore,
    readInto: { read: (cid, into) => fsBlocks.readInto(cid, into), verify: options.verifyLocalBlocks !== false },
  });
  await content.serve({ directHost: tcpListenHost(listen) });
  return {
    peerId: libp2p.peerId,
    get multiaddrs() {
      return libp2p.getMultiaddrs();
    },
    content,
    libp2p,
    helia,
    limits,
    dial,
    handleProtocol: (protocol, handler, opts) => handleProtocol(libp2p, protocol, handler, { maxRequestBytes: limits.maxRequestBytes, timeoutMs: limits.protocolTimeoutMs, maxInboundStreams: limits.protocolMaxInboundStreams, ...opts }),
    dialProtocol: (peer, protocol, request, opts) => dialProtocol(libp2p, peer, protocol, request, { maxResponseBytes: limits.maxResponseBytes, timeoutMs: limits.protocolTimeoutMs, ...opts }),
    routingTableSize: () => routingTableSize(libp2p),
    registeredPeers: discovery?.peerIds ?? new Set(),
    reachability,
    async stop() {
      clearInterval(rediscover);
      stopClosingIdleRelayed();
      reachability.stop();
      stopped.abort();
      await content.stop();
      await helia.stop();
      await fsBlocks.close();
      await datastore.close();
    },
  };
}

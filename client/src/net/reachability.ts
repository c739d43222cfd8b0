import type { Libp2p } from "@libp2p/interface";
import type { KadDHT } from "@libp2p/kad-dht";
import { isLinkLocal, isPrivate } from "@libp2p/utils";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import { networkInterfaces } from "node:os";

/**
 * Whether peers can reach this node, and how:
 * - `public`: an address peers can dial directly: one AutoNAT confirmed (a peer on another
 *   host dialled it back), one the operator announced, or, on a private network
 *   (`privateAddresses`, a devnet), any listen address;
 * - `relayed`: no such address, but a relay holds a reservation for us, so peers reach us
 *   through its `/p2p-circuit` address (and DCUtR may then upgrade to a direct connection);
 * - `unreachable`: neither, after AutoNAT and the relay search had their time: peers cannot
 *   open a connection to this node, only take the ones it opens;
 * - `unknown`: still finding out.
 */
export type ReachabilityStatus = "public" | "relayed" | "unreachable" | "unknown";

export type Reachability = {
  status: ReachabilityStatus;
  /** Addresses peers can dial directly, each ending in /p2p/<our id>. */
  direct: string[];
  /** Addresses through relays that hold a reservation for us. */
  relayed: string[];
  /** Peer ids of those relays. */
  relays: string[];
  /** What this node tells others to dial: `direct` when there is one, else `relayed`. */
  advertised: string[];
  /** Whether this node relays for others. */
  relayServer: boolean;
};

export const REACHABILITY_LIMITS = {
  /**
   * How long a node with a public-looking address waits for AutoNAT to confirm it before it
   * takes relay reservations as well (an address AutoNAT never confirms is firewalled).
   */
  autoNatWaitMs: 30_000,
  /** How long the relay search may take before a node without one says it is unreachable. */
  relaySearchMs: 20_000,
  /** How often the state is looked at again, besides libp2p's address-change events. */
  recheckIntervalMs: 2_000,
};
export type ReachabilityLimits = typeof REACHABILITY_LIMITS;

export type ReachabilityTrackerOptions = {
  /** Private and loopback addresses count as reachable (a devnet, a LAN). */
  privateAddresses: boolean;
  relayClient: "auto" | "always" | "never";
  reservations: number;
  relayServer: boolean;
  /** The node has an address it may expect to be public (see hasPublicCandidate). */
  publicCandidate: boolean;
  /** Whether the node may be a DHT server when reachable (AccordNodeOptions.dhtServer); false keeps it a client. */
  dhtServer: boolean;
  /** Where relay reservations are asked for (transportListener). */
  listener: TransportListener;
  limits?: Partial<ReachabilityLimits>;
};

/**
 * Listening on more addresses after start (a `/p2p-circuit` address is a relay reservation).
 * The Libp2p interface has no call for it; libp2p hands its transport manager to services
 * as a component, so createAccordNode takes it through a service (transportListener).
 */
export type TransportListener = { listen(addrs: Multiaddr[]): Promise<void> };

/** A libp2p service that only passes the transport manager's listen() out to `use`. */
export function transportListener(use: (listener: TransportListener) => void): (components: { transportManager: TransportListener }) => object {
  return ({ transportManager }) => {
    use({ listen: (addrs) => transportManager.listen(addrs) });
    return {};
  };
}

const isCircuit = (ma: Multiaddr) => ma.getComponents().some((c) => c.name === "p2p-circuit");

/** Would a peer elsewhere on the internet be able to dial this (not relayed) address? */
export function isPublicAddress(ma: Multiaddr): boolean {
  const c = ma.getComponents();
  if (c.some((x) => x.name === "dns" || x.name === "dns4" || x.name === "dns6" || x.name === "dnsaddr")) return true;
  if (!c.some((x) => x.name === "ip4" || x.name === "ip6")) return false;
  return !isPrivate(ma) && !isLinkLocal(ma);
}

/**
 * Does this node have an address it may expect to be public: an announced one, or a listen
 * address on a public IP (0.0.0.0 and :: stand for every interface)? A node with none is
 * behind NAT or a firewall by construction: nothing for AutoNAT to confirm.
 */
export function hasPublicCandidate(listen: string[], announce: string[] = []): boolean {
  if (announce.some((a) => isPublicAddress(multiaddr(a)))) return true;
  const ifaceIps = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  for (const a of listen) {
    const ma = multiaddr(a);
    const ip = ma.getComponents().find((c) => c.name === "ip4" || c.name === "ip6")?.value;
    if (ip === "0.0.0.0" || ip === "::") {
      if (ifaceIps.some((i) => isPublicAddress(multiaddr(`/${i.includes(":") ? "ip6" : "ip4"}/${i}/tcp/1`)))) return true;
    } else if (isPublicAddress(ma)) return true;
  }
  return false;
}

/**
 * Follows the node's reachability: reads libp2p's verified addresses (AutoNAT confirms
 * public ones; the relay transport adds a `/p2p-circuit` address per reservation), takes
 * relay reservations once the node finds no direct address, and makes a node that peers
 * cannot dial a DHT client (others would put it in their routing tables and fail to query it).
 */
export class ReachabilityTracker {
  readonly #libp2p: Libp2p<{ dht: KadDHT }>;
  readonly #o: ReachabilityTrackerOptions;
  readonly #limits: ReachabilityLimits;
  readonly #startedAt = Date.now();
  readonly #listeners = new Set<(r: Reachability) => void>();
  #relaysRequestedAt?: number;
  #current: Reachability;
  #timer?: NodeJS.Timeout;
  #dhtMode: "client" | "server";
  #stopped = false;

  constructor(libp2p: Libp2p<{ dht: KadDHT }>, options: ReachabilityTrackerOptions) {
    this.#libp2p = libp2p;
    this.#o = options;
    this.#limits = { ...REACHABILITY_LIMITS, ...options.limits };
    this.#dhtMode = options.dhtServer && (options.privateAddresses || options.publicCandidate) ? "server" : "client";
    this.#current = { status: "unknown", direct: [], relayed: [], relays: [], advertised: [], relayServer: options.relayServer };
  }

  start(): void {
    this.#libp2p.addEventListener("self:peer:update", this.#onUpdate);
    this.#timer = setInterval(this.#onUpdate, this.#limits.recheckIntervalMs);
    this.#timer.unref();
    this.#evaluate();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#libp2p.removeEventListener("self:peer:update", this.#onUpdate);
    this.#listeners.clear();
  }

  get(): Reachability {
    return this.#current;
  }

  /** Calls `fn` with every change (status or addresses); returns the unsubscribe. */
  subscribe(fn: (r: Reachability) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Resolves with the first state that is not `unknown` (at once if there is one). */
  settled(signal?: AbortSignal): Promise<Reachability> {
    if (this.#current.status !== "unknown") return Promise.resolve(this.#current);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        off();
        reject(signal!.reason);
      };
      const off = this.subscribe((r) => {
        if (r.status === "unknown") return;
        off();
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #onUpdate = () => {
    if (!this.#stopped) this.#evaluate();
  };

  #evaluate(): void {
    const addrs = this.#libp2p.getMultiaddrs();
    const direct = addrs.filter((a) => !isCircuit(a) && (this.#o.privateAddresses || isPublicAddress(a))).map(String);
    const relayed = addrs.filter(isCircuit).map(String);
    const relays = [...new Set(relayed.map((a) => a.slice(0, a.indexOf("/p2p-circuit")).split("/p2p/").pop()!))];
    const now = Date.now();
    // A public-looking address AutoNAT has not confirmed yet gets its time; none at all means NAT.
    const waitingForAutoNat = direct.length === 0 && this.#o.publicCandidate && now - this.#startedAt < this.#limits.autoNatWaitMs;
    const wantRelays = this.#o.relayClient === "always" || (this.#o.relayClient === "auto" && direct.length === 0 && !waitingForAutoNat);
    if (wantRelays && this.#relaysRequestedAt === undefined) this.#requestRelays();
    let status: ReachabilityStatus;
    if (direct.length > 0) status = "public";
    else if (relayed.length > 0) status = "relayed";
    else if (waitingForAutoNat || (this.#relaysRequestedAt !== undefined && now - this.#relaysRequestedAt < this.#limits.relaySearchMs)) status = "unknown";
    else status = "unreachable";
    const next: Reachability = { status, direct, relayed, relays, advertised: direct.length ? direct : relayed, relayServer: this.#o.relayServer };
    this.#setDhtMode(status === "public" ? "server" : status === "unknown" ? this.#dhtMode : "client");
    if (sameReachability(next, this.#current)) return;
    this.#current = next;
    for (const fn of [...this.#listeners]) fn(next);
  }

  #requestRelays(): void {
    this.#relaysRequestedAt = Date.now();
    // One `/p2p-circuit` listen address is one reservation, on a relay libp2p finds among
    // the peers it is connected to (identify lists the hop protocol) or meets later.
    const search = Array.from({ length: Math.max(1, this.#o.reservations) }, () => multiaddr("/p2p-circuit"));
    this.#o.listener
      .listen(search)
      .catch(() => {
        // The search goes on in the background; a failure here leaves the status to say so.
      });
  }

  #setDhtMode(wanted: "client" | "server"): void {
    const mode = this.#o.dhtServer ? wanted : "client";
    if (mode === this.#dhtMode) return;
    this.#dhtMode = mode;
    void this.#libp2p.services.dht.setMode(mode).catch(() => {});
  }
}

function sameReachability(a: Reachability, b: Reachability): boolean {
  const same = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return a.status === b.status && same(a.direct, b.direct) && same(a.relayed, b.relayed) && a.relayServer === b.relayServer;
}

import type { Connection, Libp2p, PeerId } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import type { Multiaddr } from "@multiformats/multiaddr";
import { isPublicAddress } from "./reachability.ts";

const isCircuit = (ma: Multiaddr) => ma.getComponents().some((c) => c.name === "p2p-circuit");

/** Is this connection through a relay (libp2p marks those `limits`: the relay caps bytes and time)? */
export function isRelayed(connection: Connection): boolean {
  return connection.limits !== undefined || isCircuit(connection.remoteAddr);
}

/**
 * An open connection to `peer`, direct ones first, else a new one. libp2p's own dial never
 * returns a relayed connection (it dials the peer again, through the relay again, for a new
 * one each time), so an open relayed connection is looked up here.
 */
export async function connectionTo(libp2p: Libp2p, peer: PeerId | Multiaddr, signal: AbortSignal): Promise<Connection> {
  const id = "getComponents" in peer ? peer.getComponents().findLast((c) => c.name === "p2p")?.value : peer.toString();
  if (id !== undefined) {
    const open = libp2p.getConnections(peerIdFromString(id)).filter((c) => c.status === "open");
    const found = open.find((c) => !isRelayed(c)) ?? open[0];
    if (found) return found;
  }
  return libp2p.dial(peer, { signal });
}

/**
 * The connection to move bulk content to or from `peer` over: a direct one when there is
 * one, or when DCUtR is about to make one, else the relayed one.
 *
 * When we dial a peer through its relay, the peer's DCUtR service upgrades the connection:
 * it dials us back directly if we have a public address (a connection reversal), or both
 * sides dial each other at once (a hole punch) if both have public addresses, and then
 * closes the relayed connection. A transfer started on the relayed connection in that
 * moment would be cut, and would also have crossed the relay for nothing, so we wait (up to
 * `waitMs`) for the direct connection when an upgrade can happen. When it cannot (neither
 * side has a public address: both behind NAT, and Node's TCP cannot bind an outgoing socket
 * to its listening port, which a TCP hole punch needs), the relayed connection is used at once.
 */
export async function preferDirect(libp2p: Libp2p, connection: Connection, options: { signal: AbortSignal; waitMs: number }): Promise<Connection> {
  if (!isRelayed(connection)) return connection;
  const peer = connection.remotePeer;
  const direct = directConnection(libp2p, peer);
  if (direct) return direct;
  if (!(await upgradePossible(libp2p, peer))) return connection;
  const upgraded = await waitForDirect(libp2p, peer, options);
  return upgraded ?? connection;
}

function directConnection(libp2p: Libp2p, peer: PeerId): Connection | undefined {
  return libp2p.getConnections(peer).find((c) => c.status === "open" && !isRelayed(c));
}

/** Can DCUtR make a direct connection here: does either side have an address the other can dial? */
async function upgradePossible(libp2p: Libp2p, peer: PeerId): Promise<boolean> {
  if (libp2p.getMultiaddrs().some((a) => !isCircuit(a) && isPublicAddress(a))) return true;
  // The peer's addresses as identify reported them over the relayed connection.
  const known = await libp2p.peerStore.get(peer).catch(() => undefined);
  return known?.addresses.some(({ multiaddr }) => !isCircuit(multiaddr) && isPublicAddress(multiaddr)) ?? false;
}

function waitForDirect(libp2p: Libp2p, peer: PeerId, options: { signal: AbortSignal; waitMs: number }): Promise<Connection | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(undefined), options.waitMs);
    const onOpen = (evt: CustomEvent<Connection>) => {
      if (evt.detail.remotePeer.equals(peer) && !isRelayed(evt.detail)) finish(evt.detail);
    };
    const onAbort = () => finish(undefined, options.signal.reason);
    const finish = (conn: Connection | undefined, err?: unknown) => {
      clearTimeout(timer);
      libp2p.removeEventListener("connection:open", onOpen);
      options.signal.removeEventListener("abort", onAbort);
      if (err !== undefined) reject(err);
      else resolve(conn);
    };
    libp2p.addEventListener("connection:open", onOpen);
    options.signal.addEventListener("abort", onAbort, { once: true });
    // It may have opened between the check and the listener.
    const now = directConnection(libp2p, peer);
    if (now) finish(now);
  });
}

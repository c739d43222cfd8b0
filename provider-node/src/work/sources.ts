import type { Libp2p, PeerId } from "@libp2p/interface";
import { DECLINES_PROTOCOL } from "@accord/client/net";

/**
 * Peers to ask for a job's content before the DHT: those connected to us that are not
 * providers. A requester's node dials every registered provider when it starts, so
 * the peer that posted a job is almost always among them; asking it directly costs one stream,
 * where a DHT lookup of the manifest (and of each new input) cost every provider a query of the
 * whole swarm per job, and the requester a provide, which was most of the CPU of a busy market.
 * They are asked all at once (load.ts, ContentStore.findHolder), and a peer without the
 * content answers at once (it serves from its own blockstore only), so a wrong guess is
 * cheap; if none has it the fetch falls back to the DHT.
 *
 * A provider is known by the registry (read every minute) or, sooner, by its identify naming
 * DECLINES_PROTOCOL, which only providers' nodes answer: providers started together read the
 * registry before each other's listings were written, and for their first minute asked each
 * other for every job's manifest, a stream each way per provider per job (bench:realchain:
 * writes between providers outnumbered those to the requester four to one).
 */
export function directContentPeers(libp2p: Libp2p, registeredProviders: ReadonlySet<string>, max: number): () => string[] {
  const providers = declinesSpeakers(libp2p);
  return () => {
    const out: string[] = [];
    const seen = new Set<string>();
    // Newest connections first: a requester that just started is the likeliest to post next.
    const connections = [...libp2p.getConnections()].sort((a, b) => b.timeline.open - a.timeline.open);
    for (const conn of connections) {
      const id = conn.remotePeer.toString();
      if (seen.has(id) || registeredProviders.has(id) || providers.has(id) || conn.status !== "open") continue;
      seen.add(id);
      const addr = conn.remoteAddr.toString();
      // The dial reuses the open connection; the address only has to name the peer.
      out.push(addr.includes("/p2p/") ? addr : `${addr}/p2p/${id}`);
      if (out.length >= max) break;
    }
    return out;
  };
}

/** Connected peers whose protocols (as identify told them) include DECLINES_PROTOCOL, kept up to date by libp2p's events. */
function declinesSpeakers(libp2p: Libp2p): ReadonlySet<string> {
  const ids = new Set<string>();
  const note = (peer: PeerId, protocols: readonly string[]) => {
    if (protocols.includes(DECLINES_PROTOCOL)) ids.add(peer.toString());
    else ids.delete(peer.toString());
  };
  libp2p.addEventListener("peer:identify", (evt) => note(evt.detail.peerId, evt.detail.protocols));
  // An identify push (a node that began serving the protocol after connecting) updates the peer store.
  libp2p.addEventListener("peer:update", (evt) => note(evt.detail.peer.id, evt.detail.peer.protocols));
  libp2p.addEventListener("peer:disconnect", (evt) => ids.delete(evt.detail.toString()));
  // Peers identified before these listeners: from the peer store.
  for (const conn of libp2p.getConnections()) {
    libp2p.peerStore.get(conn.remotePeer).then(
      (peer) => note(peer.id, peer.protocols),
      () => {},
    );
  }
  return ids;
}

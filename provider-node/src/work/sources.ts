import type { Libp2p } from "@libp2p/interface";

/**
 * Peers to ask for a job's content before the DHT: those connected to us that are not
 * registered providers. A requester's node dials every registered provider when it starts, so
 * the peer that posted a job is almost always among them; asking it directly costs one stream,
 * where a DHT lookup of the manifest (and of each new input) cost every provider a query of the
 * whole swarm per job, and the requester a provide, which was most of the CPU of a busy market.
 * They are asked all at once (load.ts, ContentStore.findHolder), and a peer without the
 * content answers at once (it serves from its own blockstore only), so a wrong guess is
 * cheap; if none has it the fetch falls back to the DHT.
 */
export function directContentPeers(libp2p: Libp2p, registeredProviders: ReadonlySet<string>, max: number): () => string[] {
  return () => {
    const out: string[] = [];
    const seen = new Set<string>();
    // Newest connections first: a requester that just started is the likeliest to post next.
    const connections = [...libp2p.getConnections()].sort((a, b) => b.timeline.open - a.timeline.open);
    for (const conn of connections) {
      const id = conn.remotePeer.toString();
      if (seen.has(id) || registeredProviders.has(id) || conn.status !== "open") continue;
      seen.add(id);
      const addr = conn.remoteAddr.toString();
      // The dial reuses the open connection; the address only has to name the peer.
      out.push(addr.includes("/p2p/") ? addr : `${addr}/p2p/${id}`);
      if (out.length >= max) break;
    }
    return out;
  };
}

import type { Libp2p, Peer, PeerData, PeerId } from "@libp2p/interface";
import { PEER_RECORD_REFRESH_MS } from "./peer-datastore.ts";

/**
 * libp2p merges a stream's protocol into the remote peer's record on every stream it opens or
 * accepts (Connection.newStream, onIncomingStream): a lock, a read and decode of the record, a
 * merge, an encode and a compare, for a protocol the record almost always holds already. In a
 * profile of five provider daemons under a burst of jobs the peer store's merges were ~4 % of
 * their CPU. A merge of protocols alone, all of which the record is known to hold, is answered
 * with the record as last seen; anything else, and the first merge of a peer after
 * PEER_RECORD_REFRESH_MS (so the record's time still moves, see peer-datastore.ts), goes to the
 * peer store. What is known follows the store's own updates (peer:update, so a protocol an
 * identify push removed is merged for real again) and is dropped when the peer disconnects.
 */
export function answerKnownProtocolMerges(libp2p: Pick<Libp2p, "peerStore" | "addEventListener">): void {
  const known = new Map<string, { peer: Peer; protocols: Set<string>; atMs: number }>();
  const remember = (peer: Peer) => known.set(peer.id.toString(), { peer, protocols: new Set(peer.protocols), atMs: Date.now() });
  libp2p.addEventListener("peer:update", (evt) => remember(evt.detail.peer));
  libp2p.addEventListener("peer:disconnect", (evt) => known.delete(evt.detail.toString()));
  const store = libp2p.peerStore;
  const merge = store.merge.bind(store);
  store.merge = async (id: PeerId, data: PeerData, options?: Parameters<typeof merge>[2]): Promise<Peer> => {
    const k = known.get(id.toString());
    const onlyProtocols = data.protocols !== undefined && Object.keys(data).length === 1;
    if (k && onlyProtocols && Date.now() - k.atMs < PEER_RECORD_REFRESH_MS && data.protocols!.every((p) => k.protocols.has(p))) return k.peer;
    const peer = await merge(id, data, options);
    remember(peer);
    return peer;
  };
}

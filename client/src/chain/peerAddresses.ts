import { peerIdFromMultihash } from "@libp2p/peer-id";
import * as Digest from "multiformats/hashes/digest";
import { hexToBytes, type Hex } from "viem";

/** The libp2p peer id a provider registered (binary multihash on-chain) as its string form. */
export function peerIdString(peerIdHex: Hex): string | undefined {
  try {
    return peerIdFromMultihash(Digest.decode(hexToBytes(peerIdHex))).toString();
  } catch {
    return undefined;
  }
}

/**
 * A provider's registered multiaddrs, each ending in /p2p/<peer id> so the dialer can
 * authenticate the peer; addresses that already name another peer are dropped.
 */
export function dialableAddresses(peerIdHex: Hex, multiaddrs: readonly string[]): string[] {
  const id = peerIdString(peerIdHex);
  if (!id) return [];
  const out: string[] = [];
  for (const a of multiaddrs) {
    // The last /p2p/ names the peer: a relayed address names its relay first (…/p2p/<relay>/p2p-circuit/p2p/<peer>).
    const at = a.lastIndexOf("/p2p/");
    if (at === -1 || a.endsWith("/p2p-circuit")) out.push(`${a}/p2p/${id}`);
    else if (a.slice(at + 5) === id) out.push(a);
  }
  return out;
}

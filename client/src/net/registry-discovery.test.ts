import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import type { Libp2p, PeerInfo } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import { createLibp2p } from "libp2p";
import { toHex, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RegisteredProvider } from "../chain/providers.ts";
import { registryDiscovery } from "./registry-discovery.ts";

// The module as any libp2p node uses it (`peerDiscovery` in createLibp2p's options), fed a
// registry reader whose answers the test sets; test/p2p/registry-discovery.test.ts reads a real chain.

const plainNode = () => createLibp2p({ addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } });

const registered = (node: Libp2p, address: Address, multiaddrs = node.getMultiaddrs().map((m) => m.decapsulateCode(421).toString())): RegisteredProvider => ({
  address,
  peerId: toHex(node.peerId.toMultihash().bytes),
  multiaddrs,
  askPrice: 1n,
  registeredBlock: 1n,
});

let providers: Libp2p[] = [];
let seeker: Libp2p;
let answer: () => Promise<RegisteredProvider[]> = async () => [];
let reads = 0;
const discovered: PeerInfo[] = [];

beforeAll(async () => {
  providers = await Promise.all([plainNode(), plainNode()]);
  seeker = await createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
    peerDiscovery: [
      (components) => {
        const discovery = registryDiscovery({ registry: () => (reads++, answer()), intervalMs: 50 })(components);
        discovery.addEventListener("peer", (e) => discovered.push(e.detail));
        return discovery;
      },
    ],
  });
});

afterAll(async () => {
  await Promise.all([seeker?.stop(), ...providers.map((p) => p.stop())]);
});

const seen = (node: Libp2p) => discovered.filter((p) => p.id.equals(node.peerId));

describe("registryDiscovery in a libp2p node", () => {
  it("keeps reading after a failed read, then reports and dials each registered provider, skipping a record with no valid peer", async () => {
    answer = async () => {
      throw new Error("the chain is unreachable");
    };
    await expect.poll(() => reads, { timeout: 10_000 }).toBeGreaterThan(1);
    answer = async () => [registered(providers[0], "0x0000000000000000000000000000000000000001"), { ...registered(providers[1], "0x0000000000000000000000000000000000000002"), peerId: "0x1234" }];
    await expect.poll(() => seeker.getConnections(providers[0].peerId).length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(seen(providers[0])).toHaveLength(1);
    expect(seen(providers[0])[0].multiaddrs.map(String)).toEqual(providers[0].getMultiaddrs().map(String));
    // libp2p took the addresses into its peer store, where anything else on the node finds them.
    expect((await seeker.peerStore.get(providers[0].peerId)).addresses.length).toBeGreaterThan(0);
    expect(seen(providers[1])).toEqual([]);
  });

  it("reports a provider again only when its addresses change", async () => {
    const readsBefore = reads;
    await expect.poll(() => reads, { timeout: 10_000 }).toBeGreaterThan(readsBefore + 2);
    expect(seen(providers[0])).toHaveLength(1);
    const moved = [...registered(providers[0], "0x0000000000000000000000000000000000000001").multiaddrs, "/ip4/127.0.0.2/tcp/4001"];
    answer = async () => [{ ...registered(providers[0], "0x0000000000000000000000000000000000000001"), multiaddrs: moved }];
    await expect.poll(() => seen(providers[0]).length, { timeout: 10_000 }).toBe(2);
    expect(seen(providers[0])[1].multiaddrs.map(String)).toContain(`/ip4/127.0.0.2/tcp/4001/p2p/${providers[0].peerId}`);
  });
});

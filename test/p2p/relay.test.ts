// Circuit relay on 127.0.0.1: a node told that private addresses are not reachable (as on the
// public internet) finds no direct address, takes a reservation on a relay and is reached
// through it; content crosses the relay within the relay's limits. test/nat/ shows the same
// between network namespaces behind real NATs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRelayed } from "../../client/src/net/direct-upgrade.ts";
import { createAccordNode, type AccordNode } from "../../client/src/net/node.ts";

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 11)) & 0xff);
/** More than libp2p's default relay allowance (128 KiB per relayed connection). */
const CONTENT_BYTES = 3 * 1024 * 1024 + 5;

let dir: string;
const nodes: AccordNode[] = [];
const start = async (name: string, o: Omit<Parameters<typeof createAccordNode>[0], "dataDir"> = {}) => {
  const n = await createAccordNode({ dataDir: join(dir, name), ...o });
  nodes.push(n);
  return n;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-relay-"));
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

describe("a node nobody can dial directly", () => {
  it("holds a relay reservation, advertises the relayed address, and serves content through it", async () => {
    const relay = await start("relay", { relay: { serve: true } });
    expect(relay.reachability.get()).toMatchObject({ status: "public", relayServer: true });
    // privateAddresses: false makes 127.0.0.1 count as unreachable, as 10.x is behind a home router.
    const hidden = await start("hidden", { privateAddresses: false, bootstrap: [relay.multiaddrs[0].toString()] });
    const reach = await hidden.reachability.settled(AbortSignal.timeout(60_000));
    expect(reach.status).toBe("relayed");
    expect(reach.relays).toEqual([relay.peerId.toString()]);
    expect(reach.direct).toEqual([]);
    expect(reach.advertised.length).toBeGreaterThan(0);
    for (const a of reach.advertised) expect(a).toMatch(new RegExp(`/p2p/${relay.peerId}/p2p-circuit/p2p/${hidden.peerId}$`));
    // Peers it cannot be queried by would only fail their lookups through it.
    expect(hidden.libp2p.services.dht.getMode()).toBe("client");

    const data = bytes(CONTENT_BYTES, 1);
    const cid = await hidden.content.add(data);
    const fetcher = await start("fetcher", { bootstrap: [relay.multiaddrs[0].toString()] });
    const got = await fetcher.content.getBytes(cid, { from: reach.advertised, timeoutMs: 20_000 });
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    // Neither side has a public address, so DCUtR had nothing to upgrade to: the bytes crossed the relay.
    const connections = fetcher.libp2p.getConnections(hidden.peerId);
    expect(connections.length).toBeGreaterThan(0);
    expect(connections.every(isRelayed)).toBe(true);
  });

  it("is cut off by a relay whose byte limit is smaller than the content, and the error names the relay", async () => {
    const stingy = await start("stingy", { relay: { serve: true, limits: { maxRelayedBytesPerConnection: 256 * 1024 } } });
    const hidden = await start("hidden-2", { privateAddresses: false, bootstrap: [stingy.multiaddrs[0].toString()] });
    const reach = await hidden.reachability.settled(AbortSignal.timeout(60_000));
    expect(reach.relays).toEqual([stingy.peerId.toString()]);
    const cid = await hidden.content.add(bytes(CONTENT_BYTES, 2));
    const fetcher = await start("fetcher-2", { bootstrap: [stingy.multiaddrs[0].toString()] });
    const err = await fetcher.content.getBytes(cid, { from: reach.advertised, timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`${hidden.peerId} (through relay ${stingy.peerId}, which resets a connection at its byte or time limit)`);
    expect(await fetcher.content.has(cid)).toBe(false);
  });

  it("says it is unreachable when it may not use relays and has no address peers can dial", async () => {
    const lonely = await start("lonely", { privateAddresses: false, relay: { client: "never" } });
    expect((await lonely.reachability.settled(AbortSignal.timeout(60_000))).status).toBe("unreachable");
  });
});

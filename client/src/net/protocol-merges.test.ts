import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Datastore, Key } from "interface-datastore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccordNode, type AccordNode } from "./node.ts";

let dir: string;
let a: AccordNode;
let b: AccordNode;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-merges-"));
  a = await createAccordNode({ dataDir: join(dir, "a") });
  b = await createAccordNode({ dataDir: join(dir, "b"), bootstrap: [a.multiaddrs[0].toString()] });
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

/** Reads of `b`'s record in `a`'s peer store (every real merge loads the record first). */
function countRecordReads(node: AccordNode, peer: AccordNode): { reads: () => number; restore: () => void } {
  const datastore = node.helia.datastore as Datastore;
  const get = datastore.get;
  let reads = 0;
  // The peer store's key of a record (@libp2p/peer-store's peerIdToDatastoreKey).
  const recordKey = `/peers/${peer.peerId.toCID().toString()}`;
  datastore.get = function (this: Datastore, key: Key, options?: unknown) {
    if (key.toString() === recordKey) reads++;
    return get.call(this, key, options as never);
  } as typeof get;
  return { reads: () => reads, restore: () => void (datastore.get = get) };
}

describe("merges of a stream's protocol into the peer store", () => {
  it("are answered from memory when the record holds the protocol, and go to the store when it does not", async () => {
    const deadline = Date.now() + 20_000;
    while (a.libp2p.getConnections(b.peerId).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const known = (await a.libp2p.peerStore.get(b.peerId)).protocols;
    expect(known.length).toBeGreaterThan(0);
    // Once merged through the wrapper, the record's protocols are known.
    await a.libp2p.peerStore.merge(b.peerId, { protocols: [known[0]!] });
    const count = countRecordReads(a, b);
    try {
      for (let i = 0; i < 5; i++) await a.libp2p.peerStore.merge(b.peerId, { protocols: [known[0]!] });
      expect(count.reads()).toBe(0);
      // A protocol the record lacks is merged for real, and kept.
      await a.libp2p.peerStore.merge(b.peerId, { protocols: ["/accord/test-merge/1.0.0"] });
      expect(count.reads()).toBeGreaterThan(0);
      expect((await a.libp2p.peerStore.get(b.peerId)).protocols).toContain("/accord/test-merge/1.0.0");
      // Anything beside protocols always goes to the store.
      const before = count.reads();
      await a.libp2p.peerStore.merge(b.peerId, { protocols: [known[0]!], metadata: { note: new Uint8Array([1]) } });
      expect(count.reads()).toBeGreaterThan(before);
    } finally {
      count.restore();
    }
  }, 60_000);
});

import { Key } from "interface-datastore";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsDatastore } from "datastore-fs";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createAccordNode } from "./node.ts";
import { NodeDatastore, PEER_RECORD_REFRESH_MS, splitUpdated } from "./peer-datastore.ts";

/** A record as libp2p's peer store encodes it: field 2 (a protocol) and field 8 (`updated`, a varint). */
function record(protocol: string, updated: number): Uint8Array {
  const p = Buffer.from(protocol);
  const varint: number[] = [];
  for (let v = updated; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      varint.push(v);
      break;
    }
    varint.push((v % 128) | 0x80);
  }
  return Uint8Array.from([0x12, p.length, ...p, 0x40, ...varint]);
}

/** The datastore writes (to disk) of keys under `prefix`, in order. */
function watchWrites(prefix: string): { writes: () => Array<[string, Uint8Array]>; restore: () => void } {
  const spy = vi.spyOn(FsDatastore.prototype, "put");
  return {
    writes: () => spy.mock.calls.filter(([key]) => key.toString().startsWith(prefix)).map(([key, value]) => [key.toString(), value as Uint8Array]),
    restore: () => spy.mockRestore(),
  };
}

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function open(dir?: string): Promise<[NodeDatastore, string]> {
  const path = dir ?? (await mkdtemp(join(tmpdir(), "accord-datastore-")));
  if (!dir) dirs.push(path);
  const store = new NodeDatastore(path);
  await store.open();
  return [store, path];
}

describe("NodeDatastore", () => {
  it("reads peer records back as last written, through put, batch and delete, and from disk after a restart", async () => {
    const [store, path] = await open();
    const peer = new Key("/peers/bafzaajaiaejca");
    await store.put(peer, Uint8Array.of(1));
    expect([...(await store.get(peer))]).toEqual([1]);
    await store.put(peer, Uint8Array.of(2));
    expect([...(await store.get(peer))]).toEqual([2]);
    const batch = store.batch();
    batch.put(peer, Uint8Array.of(3));
    await batch.commit();
    expect([...(await store.get(peer))]).toEqual([3]);

    const [restarted] = await open(path);
    expect([...(await restarted.get(peer))]).toEqual([3]);
    const seen: string[] = [];
    for await (const { key } of restarted.query({ prefix: "/peers" })) seen.push(key.toString());
    expect(seen).toEqual([peer.toString()]);

    await store.delete(peer);
    expect(await store.has(peer)).toBe(false);
    await expect(store.get(peer)).rejects.toThrow();
  });

  it("leaves other keys (pins, provider records) to the disk", async () => {
    const [store] = await open();
    const pin = new Key("/pin/bafkqaaa");
    await store.put(pin, Uint8Array.of(9));
    expect([...(await store.get(pin))]).toEqual([9]);
    await store.delete(pin);
    expect(await store.has(pin)).toBe(false);
  });

  it("writes a peer record again only when more than its time changed, or the time is PEER_RECORD_REFRESH_MS old; readers see the latest", async () => {
    const [store, path] = await open();
    const peer = new Key("/peers/bafzaajaiaejcb");
    const t = 1_700_000_000_000;
    const watch = watchWrites("/peers/");
    const writes = { count: () => watch.writes().length, restore: () => watch.restore() };
    try {
      await store.put(peer, record("/a/1", t));
      await store.put(peer, record("/a/1", t + 1_000));
      expect(writes.count()).toBe(1);
      expect([...(await store.get(peer))]).toEqual([...record("/a/1", t + 1_000)]);
      // A restart finds the record as first written: the same but for its time.
      const [restarted] = await open(path);
      expect([...(await restarted.get(peer))]).toEqual([...record("/a/1", t)]);

      await store.put(peer, record("/a/2", t + 2_000));
      expect(writes.count()).toBe(2);
      await store.put(peer, record("/a/2", t + 2_000 + PEER_RECORD_REFRESH_MS));
      expect(writes.count()).toBe(3);
      const [again] = await open(path);
      expect([...(await again.get(peer))]).toEqual([...record("/a/2", t + 2_000 + PEER_RECORD_REFRESH_MS)]);
      // Bytes that are not a record with a time are always written.
      await store.put(peer, Uint8Array.of(7));
      await store.put(peer, Uint8Array.of(7));
      expect(writes.count()).toBe(5);
    } finally {
      writes.restore();
    }
  });

  it("splits libp2p's record into its time and the rest", () => {
    expect(splitUpdated(record("/x/1", 300))).toEqual({ rest: Buffer.from(record("/x/1", 0).subarray(0, -2)), updated: 300 });
    expect(splitUpdated(Uint8Array.of(0x12, 5, 1))).toBeUndefined();
    expect(splitUpdated(Uint8Array.of(0x12, 1, 1))).toBeUndefined();
  });

  it("does not rewrite a peer's record for every stream to it, and a restarted node still knows the peer and its protocols", async () => {
    const dir = await mkdtemp(join(tmpdir(), "accord-peer-records-"));
    dirs.push(dir);
    const server = await createAccordNode({ dataDir: join(dir, "server") });
    let client = await createAccordNode({ dataDir: join(dir, "client") });
    try {
      await server.handleProtocol("/test/echo/1", async (request) => request);
      const target = server.multiaddrs[0].toString();
      const watch = watchWrites("/peers/");
      try {
        for (let i = 0; i < 10; i++) await client.dialProtocol(target, "/test/echo/1", Uint8Array.of(i));
        // Each stream merged its protocol into both peers' records; once known, that changes
        // only the record's time. Identify and the DHT still change records (addresses, tags)
        // while the connection is new, and those are written.
        const last = new Map<string, Uint8Array>();
        const timeOnly: string[] = [];
        for (const [key, value] of watch.writes()) {
          const before = last.get(key);
          if (before && Buffer.from(splitUpdated(before)!.rest).equals(splitUpdated(value)!.rest)) timeOnly.push(key);
          last.set(key, value);
        }
        expect(timeOnly).toEqual([]);
        expect(watch.writes().length).toBeLessThan(20);
      } finally {
        watch.restore();
      }
      await client.stop();
      client = await createAccordNode({ dataDir: join(dir, "client") });
      const known = await client.libp2p.peerStore.get(server.peerId);
      expect(known.protocols).toContain("/test/echo/1");
      expect(known.addresses.map((a) => a.multiaddr.toString())).toContain(server.multiaddrs[0].toString().replace(`/p2p/${server.peerId}`, ""));
    } finally {
      await Promise.all([client.stop(), server.stop()]);
    }
  });
});

import { Key } from "interface-datastore";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NodeDatastore } from "./peer-datastore.ts";

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
});

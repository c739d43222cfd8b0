import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BlockFiles } from "./fs-blockstore.ts";
import { RAW_CODE } from "./file-blocks.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-blockfiles-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function block(seed: number, length = 70_000): Promise<{ cid: CID; bytes: Uint8Array }> {
  const bytes = Uint8Array.from({ length }, (_, i) => (i * 31 + seed + (i >> 12)) & 0xff);
  return { cid: CID.createV1(RAW_CODE, await sha256.digest(bytes)), bytes };
}

async function files(): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

describe("BlockFiles", () => {
  it("stores one block written by several puts at once, and leaves no temporary file", async () => {
    const store = new BlockFiles(dir);
    await store.open();
    const { cid, bytes } = await block(1);
    // Each put needs a temporary name of its own: a shared one would be renamed away under the others.
    await Promise.all(Array.from({ length: 8 }, () => store.put(cid, bytes)));
    expect(await files()).toHaveLength(1);
    expect(Buffer.from(await store.readInto(cid, new Uint8Array(bytes.length + 1))).equals(Buffer.from(bytes))).toBe(true);
    await store.close();
  });

  it("writes a block of several write pieces whole, in order", async () => {
    const store = new BlockFiles(dir);
    await store.open();
    // Sixteen full 64 KiB pieces and a short last one; each 4 KiB differs, so a piece written twice or out of place shows.
    const { cid, bytes } = await block(3, 1024 * 1024 + 1);
    await store.put(cid, bytes);
    const back = await store.readInto(cid, new Uint8Array(bytes.length + 1));
    expect(back.length).toBe(bytes.length);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    expect(await files()).toHaveLength(1);
    await store.close();
  });

  it("keeps temporary names apart between two stores on one directory", async () => {
    const a = new BlockFiles(dir);
    const b = new BlockFiles(dir);
    await a.open();
    await b.open();
    const { cid, bytes } = await block(2);
    await Promise.all([a.put(cid, bytes), b.put(cid, bytes), a.put(cid, bytes), b.put(cid, bytes)]);
    expect(await files()).toHaveLength(1);
    const reopened = new BlockFiles(dir);
    await reopened.open();
    expect(await reopened.has(cid)).toBe(true);
  });
  it("answers has() from memory for blocks it wrote or found, and forgets the ones it deletes", async () => {
    const store = new BlockFiles(dir);
    await store.open();
    const { cid, bytes } = await block(7);
    expect(await store.has(cid)).toBe(false);
    await store.put(cid, bytes);
    expect(await store.has(cid)).toBe(true);
    // Remembered: the file's lookup is not made again (here it would now fail).
    await rm(join(dir), { recursive: true, force: true });
    expect(await store.has(cid)).toBe(true);
    await store.delete(cid).catch(() => {});
    expect(await store.has(cid)).toBe(false);
    // Found on disk by another store on the same folder: remembered from then on.
    const other = new BlockFiles(dir);
    await other.open();
    await other.put(cid, bytes);
    expect(await store.has(cid)).toBe(true);
    // Deleted under another CID of the same bytes (gc names blocks by CIDv0): forgotten too.
    await store.delete(CID.createV1(0x70, cid.multihash));
    expect(await store.has(cid)).toBe(false);
    await store.close();
    await other.close();
  });
});

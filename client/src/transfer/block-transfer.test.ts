import type { Stream } from "@libp2p/interface";
import { createServer } from "node:net";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cidOfBytes } from "../content/cid.ts";
import { ContentNotFoundError } from "../content/errors.ts";
import { BlockFiles } from "../content/fs-blockstore.ts";
import { createAccordNode, type AccordNode } from "../net/node.ts";
import { BLOCK_DIRECT_PROTOCOL } from "./block-direct.ts";
import { BLOCK_STREAM_PROTOCOL } from "./block-stream.ts";

const MIB = 1024 * 1024;
/**
 * A fetch that can no longer succeed ends after this long without a block (bitswap looks for the
 * missing one in vain until then). Long enough that a block delayed by a loaded machine is not
 * taken for the failure under test; each failing fetch waits it out once.
 */
const GIVE_UP_MS = 6_000;
/** No two 1 MiB blocks equal, so none is deduplicated and each travels. */
function bytes(n: number, seed: number): Uint8Array {
  // A plain loop: Uint8Array.from with a map function takes seconds for the 40 MiB file.
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 251 + seed * 17 + (i >> 20) * 101) & 0xff;
  return out;
}

let dir: string;
let honest: AccordNode;
let liar: AccordNode;
const fetchers: AccordNode[] = [];

/** A fresh node, so nothing it fetches is local from an earlier test. */
async function fetcher(content = {}): Promise<AccordNode> {
  const node = await createAccordNode({ dataDir: join(dir, `f${fetchers.length}`), content });
  fetchers.push(node);
  return node;
}

/** The block file in `dataDir` holding exactly `block`, so a test can damage it. */
async function blockFile(dataDir: string, block: Uint8Array): Promise<string> {
  for (const e of await readdir(join(dataDir, "blocks"), { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    if (e.isFile() && Buffer.from(await readFile(path)).equals(Buffer.from(block))) return path;
  }
  throw new Error("block not found on disk");
}

/** Every chunk a cat yields, and what it threw (if anything). */
async function catAll(node: AccordNode, ...args: Parameters<AccordNode["content"]["cat"]>): Promise<{ chunks: Uint8Array[]; error?: unknown }> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of node.content.cat(...args)) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

/** Adds `data` to `server`, reads it whole on a fresh node, and says which block protocols that node dialled. */
async function fetchWhole(server: AccordNode, data: Uint8Array): Promise<{ node: AccordNode; cid: Awaited<ReturnType<AccordNode["content"]["add"]>>; dialled: string[] }> {
  const cid = await server.content.add(data);
  const node = await fetcher();
  const dialled = watchProtocols(node);
  const { chunks, error } = await catAll(node, cid, { from: [server.multiaddrs[0].toString()] });
  expect(error).toBeUndefined();
  expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
  return { node, cid, dialled };
}

/** A file from `honest`, read by a reader that dawdles 50 ms over each chunk (so the sender is held back). */
async function catDawdling(node: AccordNode, cid: Parameters<AccordNode["content"]["cat"]>[0]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of node.content.cat(cid, { from: [honest.multiaddrs[0].toString()] })) {
    parts.push(chunk);
    await sleep(50);
  }
  return Buffer.concat(parts);
}

/** The block protocols `node` dials, in order (bitswap too: the fallback after a failed peer). */
function watchProtocols(node: AccordNode): string[] {
  const seen: string[] = [];
  const dialProtocol = node.libp2p.dialProtocol.bind(node.libp2p);
  node.libp2p.dialProtocol = ((...args: Parameters<typeof dialProtocol>) => {
    const protocols = [args[1]].flat().map(String);
    if (protocols.some((p) => p === BLOCK_STREAM_PROTOCOL || p === BLOCK_DIRECT_PROTOCOL || p.includes("bitswap"))) seen.push(protocols.join(","));
    return dialProtocol(...args);
  }) as typeof node.libp2p.dialProtocol;
  return seen;
}

/** Records pause/resume on the block streams `node` dials. */
function watchBlockStreams(node: AccordNode): { pauses: number; resumes: number } {
  const seen = { pauses: 0, resumes: 0 };
  const dialProtocol = node.libp2p.dialProtocol.bind(node.libp2p);
  node.libp2p.dialProtocol = (async (...args: Parameters<typeof dialProtocol>) => {
    const stream: Stream = await dialProtocol(...args);
    if (args[1] === BLOCK_STREAM_PROTOCOL) {
      const pause = stream.pause.bind(stream);
      const resume = stream.resume.bind(stream);
      stream.pause = () => {
        seen.pauses++;
        pause();
      };
      stream.resume = () => {
        seen.resumes++;
        resume();
      };
    }
    return stream;
  }) as typeof node.libp2p.dialProtocol;
  return seen;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-block-stream-"));
  honest = await createAccordNode({ dataDir: join(dir, "honest") });
  // Serves what its disk holds without checking it: a peer that sends wrong bytes.
  liar = await createAccordNode({ dataDir: join(dir, "liar"), verifyLocalBlocks: false });
});

afterAll(async () => {
  await Promise.all([honest, liar, ...fetchers].map((n) => n?.stop()));
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

describe("streamed fetch over the block stream", () => {
  it("hands a multi-block file to the reader block by block and keeps a verified copy", async () => {
    const data = bytes(5 * MIB + 12_345, 1);
    const cid = await honest.content.add(data);
    const node = await fetcher();
    const { chunks, error } = await catAll(node, cid, { from: [honest.multiaddrs[0].toString()] });
    expect(error).toBeUndefined();
    // One chunk per 1 MiB leaf, in file order.
    expect(chunks.map((c) => c.length)).toEqual([MIB, MIB, MIB, MIB, MIB, 12_345]);
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
    // Every block was stored as it passed; the local copy reads back through the verifying store.
    expect(await node.content.has(cid)).toBe(true);
    expect(Buffer.from(await node.content.getBytes(cid, { offline: true })).equals(Buffer.from(data))).toBe(true);
  });

  it("with reuseChunks, receives into a few reused buffers, and every block still reaches the reader and the disk intact", async () => {
    const data = bytes(40 * MIB + 7, 20);
    const cid = await honest.content.add(data);
    const node = await fetcher();
    const buffers = new Set<ArrayBufferLike>();
    const copies: Buffer[] = [];
    for await (const chunk of node.content.cat(cid, { from: [honest.multiaddrs[0].toString()], reuseChunks: true })) {
      buffers.add(chunk.buffer);
      // A chunk is only good until the next is asked for: copy it, as the option says.
      copies.push(Buffer.from(chunk));
    }
    expect(Buffer.concat(copies).equals(Buffer.from(data))).toBe(true);
    // 41 leaves in far fewer buffers: each came back once written and read.
    expect(buffers.size).toBeLessThan(30);
    // A buffer reused before its block was on disk would have left a wrong block there.
    expect(Buffer.from(await node.content.getBytes(cid, { offline: true })).equals(Buffer.from(data))).toBe(true);
  });

  it("reads a small block it serves from disk once for several peers, and still refuses to serve one that rotted before that read", async () => {
    const data = bytes(400, 18);
    const cid = await honest.content.add(data);
    const reads = vi.spyOn(BlockFiles.prototype, "get");
    try {
      for (const node of [await fetcher(), await fetcher(), await fetcher()]) {
        expect(Buffer.from(await node.content.getBytes(cid, { from: [honest.multiaddrs[0].toString()] })).equals(Buffer.from(data))).toBe(true);
      }
      expect(reads.mock.calls.filter(([key]) => key.toString() === cid.toString())).toHaveLength(1);
    } finally {
      reads.mockRestore();
    }

    const other = bytes(500, 19);
    const otherCid = await honest.content.add(other);
    const rotten = Uint8Array.from(other);
    rotten[3] ^= 1;
    await writeFile(await blockFile(join(dir, "honest"), other), rotten);
    const node = await fetcher();
    const { error } = await catAll(node, otherCid, { from: [honest.multiaddrs[0].toString()], timeoutMs: GIVE_UP_MS });
    expect(error).toBeInstanceOf(ContentNotFoundError);
    expect(await node.content.has(otherCid)).toBe(false);
  });

  it("serves a range across a block boundary without fetching the rest", async () => {
    const data = bytes(4 * MIB, 2);
    const cid = await honest.content.add(data);
    const node = await fetcher();
    const { chunks, error } = await catAll(node, cid, { from: [honest.multiaddrs[0].toString()], offset: MIB - 10, length: MIB + 20 });
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(Buffer.from(data.subarray(MIB - 10, 2 * MIB + 10)))).toBe(true);
    // The reader stopped the stream after the third leaf: the last one never came.
    expect(await node.content.has(cid)).toBe(false);
  });

  it("stops at a corrupt block mid-file: the reader has only the verified bytes before it, and the bad block is not stored", async () => {
    const data = bytes(5 * MIB, 3);
    const cid = await liar.content.add(data);
    const bad = data.subarray(3 * MIB, 4 * MIB);
    const badCid = await cidOfBytes(bad);
    const path = await blockFile(join(dir, "liar"), bad);
    const rotten = Uint8Array.from(bad);
    rotten[1000] ^= 0x01;
    await writeFile(path, rotten);

    const node = await fetcher();
    const { chunks, error } = await catAll(node, cid, { from: [liar.multiaddrs[0].toString()], timeoutMs: GIVE_UP_MS });
    expect(error).toBeInstanceOf(ContentNotFoundError);
    expect((error as Error).message).toMatch(new RegExp(`Block ${badCid} from peer \\S*${liar.peerId} does not hash to its CID`));
    expect(Buffer.concat(chunks).equals(Buffer.from(data.subarray(0, 3 * MIB)))).toBe(true);
    expect(await node.helia.blockstore.has(badCid)).toBe(false);
    expect(await node.helia.blockstore.has(await cidOfBytes(data.subarray(2 * MIB, 3 * MIB)))).toBe(true);
    expect(await node.content.has(cid)).toBe(false);
  });

  it("resumes from the next peer after a corrupt block, without repeating a byte", async () => {
    const data = bytes(4 * MIB + 777, 4);
    const cid = await liar.content.add(data);
    await honest.content.add(data);
    const bad = data.subarray(2 * MIB, 3 * MIB);
    const rotten = Uint8Array.from(bad);
    rotten[0] ^= 0xff;
    await writeFile(await blockFile(join(dir, "liar"), bad), rotten);

    await honest.content.add(data);
    const node = await fetcher();
    const { chunks, error } = await catAll(node, cid, { from: [liar.multiaddrs[0].toString(), honest.multiaddrs[0].toString()] });
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
    expect(await node.content.has(cid)).toBe(true);
  });

  it("pauses the libp2p stream while the reader is busy and resumes it, losing and repeating nothing", async () => {
    const data = bytes(12 * MIB, 5);
    const cid = await honest.content.add(data);
    // A small buffer, so a reader that dawdles over each block makes the stream pause;
    // no direct channel, so the blocks come over the libp2p stream.
    const node = await fetcher({ blockStreamHighWaterBytes: 256 * 1024, directBlocks: false });
    const seen = watchBlockStreams(node);
    expect((await catDawdling(node, cid)).equals(Buffer.from(data))).toBe(true);
    expect(seen.pauses).toBeGreaterThan(0);
    expect(seen.resumes).toBeGreaterThan(0);
    expect(await node.content.has(cid)).toBe(true);
  });
});

describe("the direct block channel", () => {
  it("carries the blocks instead of the libp2p stream when both peers serve it", async () => {
    const { node, cid, dialled } = await fetchWhole(honest, bytes(3 * MIB + 5, 6));
    expect(dialled).toContain(BLOCK_DIRECT_PROTOCOL);
    expect(dialled).not.toContain(BLOCK_STREAM_PROTOCOL);
    expect(await node.content.has(cid)).toBe(true);
  });

  it("is not asked for a single-block file (a raw-leaf root): that goes over the libp2p block stream with no ticket issued", async () => {
    const data = bytes(300, 16);
    const cid = await honest.content.add(data);
    expect(cid.code).toBe(0x55);
    const node = await fetcher();
    const dialled = watchProtocols(node);
    const direct = honest.content.direct!;
    const issue = direct.issue.bind(direct);
    let tickets = 0;
    direct.issue = (onOpen) => {
      tickets++;
      return issue(onOpen);
    };
    try {
      const { chunks, error } = await catAll(node, cid, { from: [honest.multiaddrs[0].toString()] });
      expect(error).toBeUndefined();
      expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
      expect(dialled).toEqual([BLOCK_STREAM_PROTOCOL]);
      expect(tickets).toBe(0);
      // A file of two chunks still takes the direct channel.
      const big = bytes(MIB + 1, 17);
      const bigCid = await honest.content.add(big);
      const again = await catAll(node, bigCid, { from: [honest.multiaddrs[0].toString()] });
      expect(again.error).toBeUndefined();
      expect(Buffer.concat(again.chunks).equals(Buffer.from(big))).toBe(true);
      expect(dialled).toEqual([BLOCK_STREAM_PROTOCOL, BLOCK_DIRECT_PROTOCOL]);
      expect(tickets).toBe(1);
    } finally {
      direct.issue = issue;
    }
  });

  it("stops at a block that does not match its CID: the reader keeps the verified bytes before it, nothing bad is stored, an honest peer finishes", async () => {
    const data = bytes(4 * MIB, 7);
    const cid = await liar.content.add(data);
    const bad = data.subarray(2 * MIB, 3 * MIB);
    const rotten = Uint8Array.from(bad);
    rotten[5] ^= 0x10;
    await writeFile(await blockFile(join(dir, "liar"), bad), rotten);

    const alone = await fetcher();
    const dialled = watchProtocols(alone);
    const failed = await catAll(alone, cid, { from: [liar.multiaddrs[0].toString()], timeoutMs: GIVE_UP_MS });
    // The channel was made (no libp2p stream); bitswap then looked for the block in vain.
    expect(dialled.filter((p) => !p.includes("bitswap"))).toEqual([BLOCK_DIRECT_PROTOCOL]);
    expect(failed.error).toBeInstanceOf(ContentNotFoundError);
    expect((failed.error as Error).message).toMatch(new RegExp(`Block ${await cidOfBytes(bad)} from peer \\S*${liar.peerId} does not hash to its CID`));
    expect(Buffer.concat(failed.chunks).equals(Buffer.from(data.subarray(0, 2 * MIB)))).toBe(true);
    expect(await alone.helia.blockstore.has(await cidOfBytes(bad))).toBe(false);
    expect(await alone.content.has(cid)).toBe(false);

    await honest.content.add(data);
    const node = await fetcher();
    const { chunks, error } = await catAll(node, cid, { from: [liar.multiaddrs[0].toString(), honest.multiaddrs[0].toString()] });
    expect(error).toBeUndefined();
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
  });

  it("never sends a block its own disk rotted: the serving node checks each block it reads and says why it stopped", async () => {
    const server = await createAccordNode({ dataDir: join(dir, "rotten-disk") });
    try {
      const data = bytes(3 * MIB, 12);
      const cid = await server.content.add(data);
      const bad = data.subarray(MIB, 2 * MIB);
      const rotten = Uint8Array.from(bad);
      rotten[7] ^= 0x04;
      await writeFile(await blockFile(join(dir, "rotten-disk"), bad), rotten);
      const node = await fetcher();
      const { chunks, error } = await catAll(node, cid, { from: [server.multiaddrs[0].toString()], timeoutMs: GIVE_UP_MS });
      expect(error).toBeInstanceOf(ContentNotFoundError);
      expect((error as Error).message).toMatch(new RegExp(`${server.peerId} could not send the DAG under ${cid}: Block ${await cidOfBytes(bad)} from the local store does not hash to its CID`));
      expect(Buffer.concat(chunks).equals(Buffer.from(data.subarray(0, MIB)))).toBe(true);
      expect(await node.content.has(cid)).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it("fails clearly when the peer vanishes mid-file, and never presents the partial copy as complete", async () => {
    const server = await createAccordNode({ dataDir: join(dir, "vanishing") });
    const data = bytes(24 * MIB, 8);
    const cid = await server.content.add(data);
    const node = await fetcher({ blockStreamHighWaterBytes: 2 * MIB });
    const parts: Uint8Array[] = [];
    let error: unknown;
    try {
      for await (const chunk of node.content.cat(cid, { from: [server.multiaddrs[0].toString()], timeoutMs: GIVE_UP_MS })) {
        parts.push(chunk);
        if (parts.length === 2) await server.stop();
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ContentNotFoundError);
    expect((error as Error).message).toContain(`${server.peerId}`);
    const got = Buffer.concat(parts);
    expect(got.length).toBeLessThan(data.length);
    expect(got.equals(Buffer.from(data.subarray(0, got.length)))).toBe(true);
    expect(await node.content.has(cid)).toBe(false);
    await expect(node.content.getBytes(cid, { offline: true })).rejects.toThrow(ContentNotFoundError);
  });

  it("falls back to the libp2p stream when the peer serves no direct channel", async () => {
    const server = await createAccordNode({ dataDir: join(dir, "no-direct"), content: { directBlocks: false } });
    try {
      const { node, cid, dialled } = await fetchWhole(server, bytes(2 * MIB + 3, 9));
      expect(dialled).toEqual([BLOCK_DIRECT_PROTOCOL, BLOCK_STREAM_PROTOCOL]);
      expect(await node.content.has(cid)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it("falls back to the libp2p stream when the direct socket cannot be made", async () => {
    const server = await createAccordNode({ dataDir: join(dir, "unreachable") });
    try {
      // Tickets name a port nobody listens on, as behind a firewall that only lets libp2p in.
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
      server.content.direct!.port = (closed.address() as { port: number }).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const { dialled } = await fetchWhole(server, bytes(2 * MIB + 4, 10));
      expect(dialled).toEqual([BLOCK_DIRECT_PROTOCOL, BLOCK_STREAM_PROTOCOL]);
    } finally {
      await server.stop();
    }
  });

  it("keeps up with a reader that dawdles over each block, losing and repeating nothing", async () => {
    const data = bytes(12 * MIB, 11);
    const cid = await honest.content.add(data);
    const node = await fetcher({ blockStreamHighWaterBytes: 256 * 1024 });
    const dialled = watchProtocols(node);
    expect((await catDawdling(node, cid)).equals(Buffer.from(data))).toBe(true);
    // All of it over the one channel, while the sender's socket held blocks it read into
    // pooled buffers: none was reused before it was written (or a block would have failed
    // its CID and bitswap would have finished the file).
    expect(dialled).toEqual([BLOCK_DIRECT_PROTOCOL]);
    expect(await node.content.has(cid)).toBe(true);
  });
});

import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cidOfBytes, cidOfStream } from "../content/cid.ts";
import { ContentNotFoundError } from "../content/errors.ts";
import { CorruptBlockError } from "../transfer/errors.ts";
import { InvalidPeerAddressError, InvalidPeerKeyError, MessageTooLargeError, ProtocolError, RemoteProtocolError } from "./errors.ts";
import { DHT_PROTOCOL } from "./constants.ts";
import { createAccordNode, type AccordNode } from "./node.ts";

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 10)) & 0xff);

/** The blockstore file holding exactly `block`, so a test can damage it. */
async function blockFile(dataDir: string, block: Uint8Array): Promise<string> {
  const root = join(dataDir, "blocks");
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (Buffer.from(await readFile(path)).equals(Buffer.from(block))) return path;
  }
  throw new Error("block not found on disk");
}

let dir: string;
let a: AccordNode;
let b: AccordNode;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-node-"));
  a = await createAccordNode({ dataDir: join(dir, "a") });
  b = await createAccordNode({ dataDir: join(dir, "b"), bootstrap: [a.multiaddrs[0].toString()] });
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

describe("content store", () => {
  it("adds bytes, streams and files with the CID cidOfBytes gives", async () => {
    const data = bytes(2.5 * 1024 * 1024);
    const cid = await a.content.add(data);
    expect(cid.toString()).toBe((await cidOfBytes(data)).toString());
    expect((await a.content.add(new TextEncoder().encode("hello"))).toString()).toBe("bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq");
    const chunks = [data.subarray(0, 1000), data.subarray(1000)];
    expect((await a.content.addStream(chunks)).toString()).toBe((await cidOfStream(chunks)).toString());
    await writeFile(join(dir, "f.bin"), data);
    expect((await a.content.addFile(join(dir, "f.bin"))).toString()).toBe(cid.toString());
    expect(Buffer.from(await a.content.getBytes(cid)).equals(Buffer.from(data))).toBe(true);
    const slice: Uint8Array[] = [];
    for await (const chunk of a.content.cat(cid, { offset: 1024 * 1024 - 3, length: 10 })) slice.push(chunk);
    expect(Buffer.concat(slice)).toEqual(Buffer.from(data.subarray(1024 * 1024 - 3, 1024 * 1024 + 7)));
  });

  it("adds a directory tree and lists it", async () => {
    const tree = join(dir, "tree");
    await mkdir(join(tree, "sub"), { recursive: true });
    await writeFile(join(tree, "a.txt"), "alpha");
    await writeFile(join(tree, "sub", "b.txt"), "beta");
    const root = await a.content.addDirectory(tree);
    const entries = await a.content.ls(root);
    expect(entries.map((e) => e.name)).toEqual(["a.txt", "sub"]);
    expect(entries[0].cid.toString()).toBe((await cidOfBytes(new TextEncoder().encode("alpha"))).toString());
    const sub = await a.content.ls(entries[1].cid);
    expect(new TextDecoder().decode(await b.content.getBytes(sub[0].cid, { from: [a.multiaddrs[0].toString()] }))).toBe("beta");
  });

  it("fetches from a given peer without the DHT, and the copy is complete", async () => {
    const data = bytes(1.5 * 1024 * 1024, 3);
    const cid = await a.content.add(data);
    expect(await b.content.has(cid)).toBe(false);
    const got = await b.content.getBytes(cid, { from: [a.multiaddrs[0].toString()] });
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(await b.content.has(cid)).toBe(true);
  });

  it("fails with ContentNotFoundError within its timeout when no one has the content", async () => {
    const missing = await cidOfBytes(bytes(100, 99));
    const started = performance.now();
    const err = await b.content.getBytes(missing, { timeoutMs: 1_500 }).catch((e) => e);
    expect(err).toBeInstanceOf(ContentNotFoundError);
    expect(err.message).toContain(missing.toString());
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(b.content.getBytes(missing, { offline: true })).rejects.toThrow(/not in the local store/);
  });

  it("refuses a block that rotted on disk", async () => {
    const data = bytes(5000, 5);
    const cid = await a.content.add(data);
    const file = await blockFile(join(dir, "a"), data);
    const damaged = Uint8Array.from(data);
    damaged[100] ^= 1;
    await writeFile(file, damaged);
    const err = await a.content.getBytes(cid).catch((e) => e);
    expect(err).toBeInstanceOf(CorruptBlockError);
    expect(err.message).toContain(cid.toString());
  });
});

describe("node identity and persistence", () => {
  it("keeps its peer id and pinned content across a restart; gc removes only the unpinned", async () => {
    const dataDir = join(dir, "restart");
    const kept = bytes(3000, 7);
    const dropped = bytes(3000, 8);
    let node = await createAccordNode({ dataDir });
    const id = node.peerId.toString();
    const keptCid = await node.content.add(kept);
    const droppedCid = await node.content.add(dropped, { pin: false });
    await node.stop();

    node = await createAccordNode({ dataDir });
    try {
      expect(node.peerId.toString()).toBe(id);
      expect(await node.content.isPinned(keptCid)).toBe(true);
      expect(await node.content.has(droppedCid)).toBe(true);
      await node.content.gc();
      expect(await node.content.has(keptCid)).toBe(true);
      expect(await node.content.has(droppedCid)).toBe(false);
      await node.content.unpin(keptCid);
      await node.content.gc();
      expect(await node.content.has(keptCid)).toBe(false);
    } finally {
      await node.stop();
    }
  });

  it("refuses a damaged peer key file instead of silently changing identity", async () => {
    const dataDir = join(dir, "badkey");
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, "peer.key"), "not a key");
    await expect(createAccordNode({ dataDir })).rejects.toThrow(InvalidPeerKeyError);
  });

  it("refuses a bootstrap address without a peer id", async () => {
    await expect(createAccordNode({ dataDir: join(dir, "badboot"), bootstrap: ["/ip4/127.0.0.1/tcp/4001"] })).rejects.toThrow(InvalidPeerAddressError);
  });
});

describe("DHT role", () => {
  it("a node made a DHT client does not answer DHT queries, while a default one does, and still fetches", async () => {
    const c = await createAccordNode({ dataDir: join(dir, "client"), bootstrap: [a.multiaddrs[0].toString()], dhtServer: false });
    try {
      expect(c.libp2p.services.dht.getMode()).toBe("client");
      expect(b.libp2p.services.dht.getMode()).toBe("server");
      // Asked the way a peer's lookup would ask it: b negotiates the DHT protocol, c refuses it.
      const dht = (to: AccordNode) => a.libp2p.dialProtocol(to.libp2p.getMultiaddrs()[0]!, DHT_PROTOCOL);
      await (await dht(b)).close();
      await expect(dht(c)).rejects.toThrow(/protocol/i);
      const cid = await a.content.add(bytes(10_000, 5));
      expect(Buffer.from(await c.content.getBytes(cid, { from: [a.multiaddrs[0].toString()] })).equals(Buffer.from(bytes(10_000, 5)))).toBe(true);
    } finally {
      await c.stop();
    }
  });
});

describe("request/response protocols", () => {
  const target = () => a.multiaddrs[0].toString();

  beforeAll(async () => {
    await a.handleProtocol("/test/echo/1", async (req, { peer }) => Buffer.concat([Buffer.from(`${peer.toString().slice(-4)}:`), req]), { maxRequestBytes: 1000 });
    await a.handleProtocol("/test/fail/1", async () => {
      throw new Error("no result for job 7 yet");
    });
    await a.handleProtocol("/test/big/1", async function () {
      return (async function* () {
        for (let i = 0; i < 10; i++) yield new Uint8Array(100_000);
      })();
    });
    await a.handleProtocol("/test/slow/1", () => new Promise<Uint8Array>(() => {}));
  });

  it("answers a request", async () => {
    const res = await b.dialProtocol(target(), "/test/echo/1", new TextEncoder().encode("ping"));
    expect(new TextDecoder().decode(res)).toBe(`${b.peerId.toString().slice(-4)}:ping`);
  });

  it("passes the handler's error to the dialer", async () => {
    await expect(b.dialProtocol(target(), "/test/fail/1", new Uint8Array())).rejects.toThrow(RemoteProtocolError);
    await expect(b.dialProtocol(target(), "/test/fail/1", new Uint8Array())).rejects.toThrow(/no result for job 7 yet/);
  });

  it("caps the request on the listener and the response on the dialer", async () => {
    await expect(b.dialProtocol(target(), "/test/echo/1", new Uint8Array(5000))).rejects.toThrow(ProtocolError);
    await expect(b.dialProtocol(target(), "/test/big/1", new Uint8Array(), { maxResponseBytes: 500_000 })).rejects.toThrow(MessageTooLargeError);
    expect((await b.dialProtocol(target(), "/test/big/1", new Uint8Array())).length).toBe(1_000_000);
  });

  // Only this request has a short timeout: a node-wide 1 s made the 1 MB answer above fail on a busy machine.
  it("gives up on a peer that never answers", async () => {
    await expect(b.dialProtocol(target(), "/test/slow/1", new Uint8Array(), { timeoutMs: 1_000 })).rejects.toThrow(/no answer within 1000 ms/);
  });
});

import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cidOfBytes } from "../../client/src/content/cid.ts";
import { ContentNotFoundError } from "../../client/src/content/errors.ts";
import { createAccordNode, type AccordNode } from "../../client/src/net/node.ts";

const NODE_COUNT = 10;
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 197 + seed * 13 + (i >> 9)) & 0xff);

let dir: string;
const nodes: AccordNode[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-p2p-"));
  // Node 0 is the only bootstrap peer; every other route must be learnt through the DHT.
  nodes.push(await createAccordNode({ dataDir: join(dir, "n0") }));
  const seed = nodes[0].multiaddrs[0].toString();
  nodes.push(...(await Promise.all(Array.from({ length: NODE_COUNT - 1 }, (_, i) => createAccordNode({ dataDir: join(dir, `n${i + 1}`), bootstrap: [seed] })))));
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

describe(`${NODE_COUNT} nodes on 127.0.0.1`, () => {
  it("finds content added on one node through the DHT and fetches it on another", async () => {
    const [, , , holder, , , , , fetcher] = nodes;
    const data = bytes(2 * 1024 * 1024 + 17, 1);
    const cid = await holder.content.add(data);
    await holder.content.provide(cid);
    const providers = await fetcher.content.findProviders(cid, { limit: 1 });
    expect(providers.map((p) => p.id.toString())).toEqual([holder.peerId.toString()]);
    const got = await fetcher.content.getBytes(cid);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect((await cidOfBytes(got)).toString()).toBe(cid.toString());
  });

  it("never stores a corrupted block a peer serves, and still gets the content from an honest peer", async () => {
    const [, honestBefore, , , , honest, , fetcher] = nodes;
    const data = bytes(4000, 2);
    const cid = await honestBefore.content.add(data);
    // The node's disk is altered after the add; it serves what it reads without checking.
    const liar = await createLiarCopy(honestBefore, data);
    await liar.content.provide(cid);

    const err = await fetcher.content.getBytes(cid, { from: [liar.multiaddrs[0].toString()], timeoutMs: 1_500 }).catch((e) => e);
    expect(err).toBeInstanceOf(ContentNotFoundError);
    expect(err.message).toMatch(new RegExp(`Block ${cid} from peer \\S*${liar.peerId} does not hash to its CID`));
    expect(await fetcher.content.has(cid)).toBe(false);

    await honest.content.add(data);
    await honest.content.provide(cid);
    const got = await fetcher.content.getBytes(cid, { timeoutMs: 5_000 });
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
  });

  it("joins with a lookup of its own id, so a node bootstrapped through one peer starts out knowing the others", async () => {
    const late = await createAccordNode({ dataDir: join(dir, "late"), bootstrap: [nodes[0].multiaddrs[0].toString()] });
    try {
      // Only the bootstrap peer was dialled; the others were found and dialled by the self
      // lookup (the routing table takes them in from its own queue, soon after).
      expect(late.libp2p.getConnections().length).toBeGreaterThan(1);
    } finally {
      await late.stop();
    }
  });

  it("fails with a clear error within its timeout for content no one has", async () => {
    const missing = await cidOfBytes(bytes(64, 3));
    const started = performance.now();
    const err = await nodes[4].content.getBytes(missing, { timeoutMs: 2_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(ContentNotFoundError);
    expect(err.message).toMatch(/could not be fetched within 2000 ms/);
    expect(performance.now() - started).toBeLessThan(6_000);
    expect(await nodes[4].content.findProviders(missing, { timeoutMs: 1_000 })).toEqual([]);
  });
});

/**
 * Corrupts the liar's copy on disk and restarts it without local verification (the
 * default checks its own disk and would refuse to serve the rotten block), so it is a
 * real peer that serves wrong bytes under the right CID.
 */
async function createLiarCopy(liar: AccordNode, block: Uint8Array): Promise<AccordNode> {
  const index = nodes.indexOf(liar);
  const dataDir = join(dir, `n${index}`);
  await liar.stop();
  for (const e of await readdir(join(dataDir, "blocks"), { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    if (e.isFile() && Buffer.from(await readFile(path)).equals(Buffer.from(block))) {
      const bad = Uint8Array.from(block);
      bad[0] ^= 0xff;
      await writeFile(path, bad);
    }
  }
  const restarted = await createAccordNode({ dataDir, bootstrap: [nodes[0].multiaddrs[0].toString()], verifyLocalBlocks: false });
  nodes[index] = restarted;
  return restarted;
}

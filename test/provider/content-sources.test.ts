// Where a provider finds a job's content when the requester did not announce it in the DHT:
// a requester connected to every provider skips the announcement (announceManifests, "auto"),
// so each provider must find it among the peers connected to it. In bench:realchain, with
// eleven requesters connected, providers asked only the eight newest, one after another, and
// the oldest requesters' jobs were never fetched. Real libp2p nodes on 127.0.0.1.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeManifest, MANIFEST_RUNTIME, MANIFEST_VERSION, parseManifest } from "../../client/src/manifest/index.ts";
import { createAccordNode, type AccordNode } from "../../client/src/net/node.ts";
import { serveDeclines } from "../../client/src/net/declines.ts";
import type { CID } from "multiformats/cid";
import { PROVIDER_LIMITS } from "../../provider-node/src/constants.ts";
import { fetchManifest, loadJob, RequesterHolders, type LoadJobParameters } from "../../provider-node/src/work/load.ts";
import { directContentPeers } from "../../provider-node/src/work/sources.ts";

const REQUESTERS = 12;
const FIXTURES = join(import.meta.dirname, "../../client/fixtures/wasm");

let dir: string;
let provider: AccordNode;
const requesters: AccordNode[] = [];

async function postOn(node: AccordNode, nonce: string): Promise<CID> {
  const module = await node.content.add(new Uint8Array(await readFile(join(FIXTURES, "echo.wasm"))));
  const stdin = await node.content.add(new TextEncoder().encode(`stdin of ${nonce}\n`));
  const manifest = parseManifest({
    version: MANIFEST_VERSION,
    runtime: MANIFEST_RUNTIME,
    module: module.toString(),
    args: ["echo"],
    env: {},
    stdin: stdin.toString(),
    inputs: {},
    limits: { fuel: 1_000_000, memoryPages: 16, stdoutBytes: 1024, stderrBytes: 1024, outputFiles: 0, outputBytes: 0, wallClockMs: 10_000 },
    resultPublicKey: "0x" + "ab".repeat(32),
    nonce,
  });
  return node.content.add(encodeManifest(manifest));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-sources-"));
  provider = await createAccordNode({ dataDir: join(dir, "provider") });
  // One after another, so the connections' ages are known: requester 0 is the oldest.
  for (let i = 0; i < REQUESTERS; i++) {
    const node = await createAccordNode({ dataDir: join(dir, `requester-${i}`) });
    await node.libp2p.dial(provider.multiaddrs[0]);
    requesters.push(node);
    // Connections opened in the same millisecond would have no order.
    await new Promise((r) => setTimeout(r, 20));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([provider, ...requesters].filter(Boolean).map((n) => n.stop()));
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

describe("a provider connected to many requesters", () => {
  it("fetches a job posted by the requester it has been connected to longest, which announced nothing", async () => {
    const manifestCid = await postOn(requesters[0], "oldest");
    const from = directContentPeers(provider.libp2p, new Set(), PROVIDER_LIMITS.maxDirectContentPeers)();
    expect(from.length).toBeGreaterThanOrEqual(REQUESTERS);

    const p: LoadJobParameters = { content: provider.content, manifestCid, limits: PROVIDER_LIMITS, from };
    const manifest = await fetchManifest(p);
    expect(manifest.nonce).toBe("oldest");
    // The holder of the manifest is the requester, and is asked first for the rest.
    expect(p.holder).toContain(requesters[0].peerId.toString());
    const loaded = await loadJob(p, manifest);
    expect(new TextDecoder().decode(loaded.job.stdin)).toBe("stdin of oldest\n");
  }, 60_000);

  it("fetches each requester's job whatever the age of its connection", async () => {
    const cids = await Promise.all(requesters.map((r, i) => postOn(r, `job-${i}`)));
    const from = directContentPeers(provider.libp2p, new Set(), PROVIDER_LIMITS.maxDirectContentPeers)();
    const nonces = await Promise.all(cids.map(async (manifestCid) => (await fetchManifest({ content: provider.content, manifestCid, limits: PROVIDER_LIMITS, from })).nonce));
    expect(nonces).toEqual(requesters.map((_, i) => `job-${i}`));
  }, 60_000);

  it("does not ask a connected provider, known by the protocol only providers answer, before the registry names it", async () => {
    const other = await createAccordNode({ dataDir: join(dir, "other-provider") });
    try {
      await serveDeclines(other, () => ({ provider: "0x00000000000000000000000000000000000000aa", status: "unknown", reasons: [] }));
      const from = directContentPeers(provider.libp2p, new Set(), PROVIDER_LIMITS.maxDirectContentPeers);
      await other.libp2p.dial(provider.multiaddrs[0]);
      // Identify runs right after the connection opens; the provider's list drops the peer once it has.
      const deadline = Date.now() + 30_000;
      const listed = () => from().some((a) => a.endsWith(other.peerId.toString()));
      while (provider.libp2p.getConnections(other.peerId).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      while (listed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(provider.libp2p.getConnections(other.peerId).length).toBeGreaterThan(0);
      expect(listed()).toBe(false);
      // The requesters are still asked.
      expect(from().filter((a) => requesters.some((r) => a.endsWith(r.peerId.toString()))).length).toBe(REQUESTERS);
    } finally {
      await other.stop();
    }
  }, 60_000);

  it("asks the peer that served a requester's last job alone first, and everyone else only when it lacks the content", async () => {
    const holders = new RequesterHolders();
    const requester = "0x00000000000000000000000000000000000000Cc";
    const from = directContentPeers(provider.libp2p, new Set(), PROVIDER_LIMITS.maxDirectContentPeers)();
    // Protocol streams the provider opens, by peer id (the block stream's fetches dial through dialProtocol).
    const opened = new Map<string, number>();
    const dialProtocol = provider.libp2p.dialProtocol;
    provider.libp2p.dialProtocol = ((peer, protocols, options) => {
      const id = "getComponents" in peer ? peer.getComponents().findLast((c) => c.name === "p2p")?.value : String(peer);
      if (id) opened.set(id, (opened.get(id) ?? 0) + 1);
      return dialProtocol.call(provider.libp2p, peer, protocols, options);
    }) as typeof dialProtocol;
    const params = (manifestCid: CID): LoadJobParameters => ({
      content: provider.content,
      manifestCid,
      limits: PROVIDER_LIMITS,
      from,
      hint: holders.get(requester),
      onHolder: (h) => holders.set(requester, h),
    });
    const asked = async (manifestCid: CID) => {
      opened.clear();
      const p = params(manifestCid);
      const loaded = await loadJob(p, await fetchManifest(p));
      expect(loaded.manifest.nonce).toMatch(/^hinted-/);
      return requesters.map((r) => opened.get(r.peerId.toString()) ?? 0);
    };
    try {
      // The first job: no hint, every requester asked; the holder is remembered.
      const first = await asked(await postOn(requesters[3], "hinted-1"));
      expect(first.filter((n) => n > 0).length).toBe(REQUESTERS);
      expect(holders.get(requester)).toBe(requesters[3].peerId.toString());
      // The next job of the same requester: only its node is asked.
      const second = await asked(await postOn(requesters[3], "hinted-2"));
      expect(second.map((n, i) => (n > 0 ? i : -1)).filter((i) => i >= 0)).toEqual([3]);
      // Its content on another node: the hint lacks it, the others are asked, and the new holder is remembered.
      const moved = await asked(await postOn(requesters[5], "hinted-3"));
      expect(moved.filter((n) => n > 0).length).toBe(REQUESTERS);
      expect(holders.get(requester)).toBe(requesters[5].peerId.toString());
    } finally {
      provider.libp2p.dialProtocol = dialProtocol;
    }
  }, 60_000);

  it("says the content was not found when no connected peer holds it and the DHT has no record", async () => {
    const stranger = await createAccordNode({ dataDir: join(dir, "stranger") });
    try {
      const manifestCid = await postOn(stranger, "unreachable");
      const from = directContentPeers(provider.libp2p, new Set(), PROVIDER_LIMITS.maxDirectContentPeers)();
      const err = await fetchManifest({ content: provider.content, manifestCid, limits: { ...PROVIDER_LIMITS, manifestFetchTimeoutMs: 2_000 }, from }).catch((e: unknown) => e);
      expect((err as Error).name).toBe("ContentNotFoundError");
    } finally {
      await stranger.stop();
    }
  }, 60_000);
});

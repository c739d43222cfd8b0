// Issue #19, "any publicly reachable node may offer to be a relay with limits it sets": a
// relay-only node (`accord-provider relay`, its own process) reads its limits from its config
// file, and the real relay enforces them on 127.0.0.1: one relayed connection at once (a second
// dialler is refused until the first hangs up), and a relayed connection reset once it carried
// the configured bytes, after which a fetch goes on from the next peer that has the content;
// a relayed connection left idle is closed, so it does not hold the relay's slot.
// A node told that private addresses do not count (as on the internet) stands for one behind NAT.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRelayed } from "../../client/src/net/direct-upgrade.ts";
import { createAccordNode, type AccordNode } from "../../client/src/net/node.ts";
import { toDialTarget } from "../../client/src/net/protocol.ts";
import { RELAY_LIMITS } from "../../client/src/net/relay-limits.ts";

const CLI = join(import.meta.dirname, "..", "..", "provider-node", "bin", "accord-provider.js");
/** The byte limit the relay's config sets: far below the content, far above identify's few KiB. */
const BYTE_LIMIT = 256 * 1024;
const CONTENT_BYTES = 3 * 1024 * 1024 + 5;
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + (i >> 11)) & 0xff);

type RelayInfo = { peerId: string; multiaddrs: string[]; limits: typeof RELAY_LIMITS; metricsUrl: string };
type Health = { status: string; relay: { limits: typeof RELAY_LIMITS; reservations: number; relayedConnections: number } };

let dir: string;
let relayProc: ChildProcess | undefined;
let relayErr = "";
let relay: RelayInfo;
const nodes: AccordNode[] = [];
const start = async (name: string, o: Omit<Parameters<typeof createAccordNode>[0], "dataDir"> = {}) => {
  const n = await createAccordNode({ dataDir: join(dir, name), ...o });
  nodes.push(n);
  return n;
};
const health = async (): Promise<Health> => (await fetch(`${relay.metricsUrl}/health`)).json() as Promise<Health>;
/** Polls the relay's /health until `test` holds: the relay's own count, not a guess at timing. */
async function healthUntil(what: string, test: (h: Health) => boolean, timeoutMs = 60_000): Promise<Health> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const h = await health();
    if (test(h)) return h;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms; /health says ${JSON.stringify(h.relay)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "accord-relay-limits-"));
  const relayDir = join(dir, "relay");
  const config = {
    listen: ["/ip4/127.0.0.1/tcp/0"],
    metricsPort: 0,
    relayLimits: { maxRelayedConnections: 1, maxRelayedBytesPerConnection: "256KiB", maxReservations: 4 },
  };
  mkdirSync(relayDir);
  writeFileSync(join(relayDir, "config.json"), JSON.stringify(config));
  relayProc = spawn(process.execPath, [CLI, "relay", "--data-dir", relayDir, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  relayProc.stderr!.on("data", (c: Buffer) => (relayErr = (relayErr + c.toString()).slice(-5000)));
  relay = await new Promise<RelayInfo>((resolve, reject) => {
    let out = "";
    relayProc!.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as RelayInfo);
    });
    relayProc!.once("exit", (code) => reject(new Error(`accord-provider relay exited (${code}) before it was up:\n${relayErr}`)));
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  if (relayProc && relayProc.exitCode === null) {
    const exited = new Promise((r) => relayProc!.once("exit", r));
    relayProc.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

describe("a relay-only node with limits from its config file", () => {
  it("says the limits it was given, the defaults for the rest, and relays", async () => {
    expect(relay.limits).toEqual({ ...RELAY_LIMITS, maxRelayedConnections: 1, maxRelayedBytesPerConnection: BYTE_LIMIT, maxReservations: 4 });
    const h = await health();
    expect(h.status).toBe("ok");
    expect(h.relay).toMatchObject({ limits: relay.limits, reservations: 0, relayedConnections: 0 });
  });

  it("carries one relayed connection at once: a second dialler is refused until the first hangs up", { timeout: 180_000 }, async () => {
    // No idle closing here: the connections this test holds open carry no stream.
    const never = { idleConnectionMs: 0 };
    const hidden = await start("hidden", { privateAddresses: false, bootstrap: [relay.multiaddrs[0]!], relay: never });
    const reach = await hidden.reachability.settled(AbortSignal.timeout(60_000));
    expect(reach).toMatchObject({ status: "relayed", relays: [relay.peerId] });
    await healthUntil("the reservation", (h) => h.relay.reservations === 1);
    const target = toDialTarget(reach.advertised[0]!);

    const first = await start("first", { bootstrap: [relay.multiaddrs[0]!], relay: never });
    const second = await start("second", { bootstrap: [relay.multiaddrs[0]!], relay: never });
    const a = await first.libp2p.dial(target, { signal: AbortSignal.timeout(20_000) });
    expect(isRelayed(a)).toBe(true);
    await healthUntil("the first relayed connection", (h) => h.relay.relayedConnections === 1);
    const refused = await second.libp2p.dial(target, { signal: AbortSignal.timeout(20_000) }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(refused, "a second relayed connection while the limit of one is in use").toBeInstanceOf(Error);
    expect(String(refused!.message) + String((refused as { errors?: Error[] }).errors?.map((e) => e.message))).toMatch(/PERMISSION_DENIED/);

    await a.close();
    await healthUntil("the first relayed connection to end", (h) => h.relay.relayedConnections === 0);
    const b = await second.libp2p.dial(target, { signal: AbortSignal.timeout(20_000) });
    expect(isRelayed(b)).toBe(true);
    await b.close();
    await healthUntil("the second relayed connection to end", (h) => h.relay.relayedConnections === 0);
  });

  it("resets a relayed connection at its byte limit, and the fetch goes on from the next peer that has the content", { timeout: 240_000 }, async () => {
    const data = bytes(CONTENT_BYTES, 3);
    const hidden = await start("hidden-2", { privateAddresses: false, bootstrap: [relay.multiaddrs[0]!] });
    const reach = await hidden.reachability.settled(AbortSignal.timeout(60_000));
    expect(reach.relays).toEqual([relay.peerId]);
    const cid = await hidden.content.add(data);

    // Through the relay alone the content cannot come: the relay cut it, and the error says so.
    const fetcher = await start("fetcher", { bootstrap: [relay.multiaddrs[0]!], relay: { idleConnectionMs: 3_000 } });
    const err = await fetcher.content.getBytes(cid, { from: reach.advertised, timeoutMs: 5_000 }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`through relay ${relay.peerId}, which resets a connection at its byte or time limit`);
    expect(await fetcher.content.has(cid)).toBe(false);
    // The fetcher's later tries (bitswap dials the peer through the relay again, and cannot use
    // a relayed connection) leave one open with no stream: closed once idle, it frees the
    // relay's only slot without anyone hanging up.
    await healthUntil("the idle relayed connection to be closed", (h) => h.relay.relayedConnections === 0);

    // A second holder reachable directly: the fetch tries the relayed one first, is cut, and goes on.
    const direct = await start("direct");
    expect(await direct.content.add(data)).toEqual(cid);
    const other = await start("fetcher-2", { bootstrap: [relay.multiaddrs[0]!] });
    const relayedOpened: string[] = [];
    other.libp2p.addEventListener("connection:open", (e) => {
      if (e.detail.remotePeer.equals(hidden.peerId) && isRelayed(e.detail)) relayedOpened.push(e.detail.remoteAddr.toString());
    });
    const got = await other.content.getBytes(cid, { from: [...reach.advertised, ...direct.multiaddrs.map(String)], timeoutMs: 20_000 });
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(relayedOpened.length, "the fetch tried the relayed holder first").toBeGreaterThan(0);
  });
});

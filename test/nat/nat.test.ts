// Issue #19, "How it is shown": a public network with the chain and two providers (relays by
// default, having public addresses), and two homes behind their own MASQUERADE NAT, one with a
// provider and one with a requester, all in network namespaces this test builds and deletes.
// A 3-replica job posted from behind NAT settles with the provider behind NAT among the
// winners; the requester gets and verifies the result, then fetches the NAT'd provider's own
// sealed copy from the address it listed (its relay's) and records how it came: direct (DCUtR
// upgraded the connection) or relayed.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreatePeerKey } from "../../client/src/net/peer-key.ts";
import { DEV_ACCOUNTS } from "../../scripts/devnet/accounts.ts";
import { KEY_FILE_NAME, NODE_DIR_NAME } from "../../provider-node/src/constants.ts";
import { createKeyFile } from "../../provider-node/src/config/keyfile.ts";
import { CLI } from "../provider/harness.ts";
import { buildTopology, namespacesUnavailable, type Topology } from "./netns.ts";
import { inNamespace as spawnIn, stopAll, waitFor, type Proc } from "./procs.ts";
import { LOG_EVENTS } from "../../provider-node/src/log-events.ts";

const require = createRequire(import.meta.url);
const ROLES = join(import.meta.dirname, "roles.ts");
const unavailable = namespacesUnavailable();
const KEYS = DEV_ACCOUNTS.slice(4, 7);
const PORT = 4001;

const procs: Proc[] = [];
let topo: Topology | undefined;
let dir: string;

/** A process inside namespace `ns`, stopped after the test. */
function inNamespace(ns: string, args: string[], env: Record<string, string> = {}): Proc {
  const p = spawnIn(ns, args, env);
  procs.push(p);
  return p;
}

async function role(ns: string, args: string[]): Promise<Record<string, unknown>> {
  const p = inNamespace(ns, [ROLES, ...args]);
  const code = await p.exited;
  if (code !== 0) throw new Error(`roles.ts ${args[0]} in ${ns} exited with ${code}:\n${p.err.slice(-4000)}`);
  return JSON.parse(p.out.trim().split("\n").pop()!);
}

type Started = { proc: Proc; address: string; peerId: string; dataDir: string };

/** A provider daemon in `ns` with a peer key made beforehand, so others can bootstrap to it before it is up. */
async function prepareProvider(name: string, key: (typeof KEYS)[number]): Promise<{ dataDir: string; peerId: string; key: typeof key }> {
  const dataDir = join(dir, name);
  createKeyFile(join(dataDir, KEY_FILE_NAME), key.privateKey);
  const peerId = peerIdFromPrivateKey(await loadOrCreatePeerKey(join(dataDir, NODE_DIR_NAME, "peer.key"))).toString();
  return { dataDir, peerId, key };
}

function startProvider(ns: string, p: { dataDir: string; peerId: string; key: (typeof KEYS)[number] }, rpcUrl: string, market: string, listen: string, bootstrap: string[], announce: string[] = []): Started {
  const proc = inNamespace(
    ns,
    [
      CLI, "start", "--json", "--data-dir", p.dataDir, "--rpc-url", rpcUrl, "--market", market, "--metrics-port", "0", "--listen", listen,
      ...bootstrap.flatMap((b) => ["--bootstrap", b]),
      ...announce.flatMap((a) => ["--announce", a]),
    ],
    { ACCORD_PRIVATE_ADDRESSES: "false", ACCORD_LIMIT_POLL_INTERVAL_MS: "100", ACCORD_LOG_LEVEL: "info" },
  );
  return { proc, address: p.key.address, peerId: p.peerId, dataDir: p.dataDir };
}

beforeAll(() => {
  if (unavailable) return;
  dir = mkdtempSync(join(tmpdir(), "accord-nat-"));
  // A public network with two hosts (the two public providers verify each other's addresses
  // with AutoNAT) and two homes.
  topo = buildTopology(2, 2);
});

afterAll(async () => {
  await stopAll(procs);
  topo?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

describe.skipIf(unavailable !== undefined)(`providers and a requester behind NAT${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  it("settle a 3-replica job posted from behind NAT, the NAT'd provider among the winners, and the requester verifies the result", { timeout: 900_000 }, async () => {
    const t = topo!;
    const [{ ip: ip1 }, { ns: pub2, ip: ip2 }] = t.pubHosts as [{ ns: string; ip: string }, { ns: string; ip: string }];
    const [home0, home1] = t.homes as [(typeof t.homes)[0], (typeof t.homes)[0]];
    const rpcUrl = `http://${ip1}:8545`;

    const hardhat = join(dirname(require.resolve("hardhat/package.json")), require("hardhat/package.json").bin.hardhat);
    const chain = inNamespace(t.pub, [hardhat, "node", "--hostname", ip1, "--port", "8545"], { HARDHAT_DISABLE_TELEMETRY: "true" });
    await waitFor(chain, "the chain", () => chain.out.includes("JSON-RPC server"));
    const deployment = await role(t.pub, ["setup", rpcUrl, ...KEYS.map((k) => k.privateKey)]);
    const deploymentFile = join(dir, "deployment.json");
    writeFileSync(deploymentFile, JSON.stringify(deployment));
    const market = deployment.jobMarket as string;

    const [k1, k2, k3] = [await prepareProvider("p1", KEYS[0]!), await prepareProvider("p2", KEYS[1]!), await prepareProvider("nat", KEYS[2]!)];
    const addr1 = `/ip4/${ip1}/tcp/${PORT}/p2p/${k1.peerId}`;
    const addr2 = `/ip4/${ip2}/tcp/${PORT}/p2p/${k2.peerId}`;
    // Public providers announce their address, as the README has them do (libp2p's AutoNAT v1
    // server answers over the connection the asker already has, whose remote port is not the
    // listening one, so two peers alone never confirm each other's listen address).
    const p1 = startProvider(t.pub, k1, rpcUrl, market, `/ip4/${ip1}/tcp/${PORT}`, [addr2], [`/ip4/${ip1}/tcp/${PORT}`]);
    const p2 = startProvider(pub2, k2, rpcUrl, market, `/ip4/${ip2}/tcp/${PORT}`, [addr1], [`/ip4/${ip2}/tcp/${PORT}`]);
    // Behind the home router: every interface, as a provider at home would.
    const nat = startProvider(home0.host, k3, rpcUrl, market, `/ip4/0.0.0.0/tcp/${PORT}`, [addr1, addr2]);
    const started = (s: Started) => waitFor(s.proc, `provider ${s.address}`, () => s.proc.out.includes("\n"));
    await Promise.all([started(p1), started(p2), started(nat)]);

    // The public ones are reachable and relay; the one at home reserves on them.
    const reach = (s: Started) => s.proc.lines.find((l) => l.event === LOG_EVENTS.relayed);
    expect(reach(p1)).toBeUndefined();
    expect(reach(p2)).toBeUndefined();
    expect(p1.proc.lines.find((l) => l.event === LOG_EVENTS.unreachable)).toBeUndefined();
    await waitFor(nat.proc, "the NAT'd provider's relayed listing", () =>
      nat.proc.lines.some((l) => l.event === LOG_EVENTS.listingUpdated && (l.multiaddrs as string[]).every((a) => a.includes("/p2p-circuit/"))),
    );
    const listed = nat.proc.lines.find((l) => l.event === LOG_EVENTS.listingUpdated)!.multiaddrs as string[];
    for (const a of listed) expect(a).toMatch(new RegExp(`/ip4/11\\.19\\.0\\.[12]/tcp/${PORT}/p2p/(${k1.peerId}|${k2.peerId})/p2p-circuit/p2p/${k3.peerId}$`));
    // One transaction for the change, none while the listing stays valid.
    expect(nat.proc.lines.filter((l) => l.event === LOG_EVENTS.listingUpdated)).toHaveLength(1);

    const out = await role(home1.host, ["request", rpcUrl, deploymentFile, join(dir, "requester"), nat.address]);
    console.log(`NAT test: the NAT'd provider's sealed result reached the requester ${out.natTransfer}: ${JSON.stringify(out.natConnections)}`);
    expect((out.requesterReachability as { status: string }).status).toBe("relayed");
    expect(out.sorted).toBe("apple\nfig\npear\n");
    const outcomes = out.outcomes as Record<string, string>;
    expect(Object.keys(outcomes)).toHaveLength(3);
    for (const p of [p1, p2, nat]) expect(outcomes[p.address]).toBe("Agreed");
    expect(out.natSorted).toBe("apple\nfig\npear\n");
    expect(["direct", "relayed"]).toContain(out.natTransfer);
    // Both behind NAT, and Node's TCP cannot bind an outgoing socket to its listening port (which a TCP
    // hole punch needs): DCUtR has no address to punch to, so the bytes crossed a relay.
    expect(out.natTransfer).toBe("relayed");
    expect(nat.proc.lines.filter((l) => l.event === LOG_EVENTS.listingUpdated)).toHaveLength(1);
  });
});

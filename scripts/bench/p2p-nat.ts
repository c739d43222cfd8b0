/**
 * The NAT part of `npm run bench:p2p` (issue #19): a 64 MiB result fetched from a node behind a
 * MASQUERADE NAT, in the network namespaces test/nat builds (test/nat/netns.ts), each node a
 * process of its own inside them (test/nat/procs.ts):
 *  - relayed: the fetcher is behind another NAT, so it reaches the server only through the relay's
 *    /p2p-circuit address, and the bytes cross the relay (a TCP hole punch between two NATs is not
 *    possible with Node's TCP, see NAT_TWO_NAT_PUNCH);
 *  - punched: the fetcher is publicly dialable and dials the server's relayed address; DCUtR on the
 *    NAT'd server dials the fetcher back directly (connection reversal) and the fetch moves to that
 *    connection (client/src/net/direct-upgrade.ts). Whether it really was direct is recorded from
 *    the connection the block stream ran on (not limited, remote address not /p2p-circuit).
 * Each fetcher first fetches BENCH_P2P_NAT_WARMUP_MIB (4) untimed over the same path, so its hot
 * paths are compiled; then each of BENCH_P2P_NAT_REPEATS (3) timed fetches starts with no
 * connection to the server (hung up), so it dials through the relay as a fetch from a new peer
 * does: its first byte time counts that dial (and, punched, the wait for DCUtR's connection).
 * Run alone (`node scripts/bench/p2p-nat.ts`) it prints its figures as JSON; with a role as its
 * first argument it is one of those processes.
 */
import { loadavg, tmpdir } from "node:os";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Connection } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { CID } from "multiformats/cid";
import { BLOCK_STREAM_PROTOCOL } from "../../client/src/transfer/block-stream.ts";
import { isRelayed } from "../../client/src/net/direct-upgrade.ts";
import { createAccordNode, type AccordNodeOptions } from "../../client/src/net/node.ts";
import { buildTopology, namespacesUnavailable, type Topology } from "../../test/nat/netns.ts";
import { inNamespace, stopAll, waitFor, type Proc } from "../../test/nat/procs.ts";
import { MIB, payload } from "./payload.ts";

const SIZE_MIB = 64;
const WARMUP_MIB = Number(process.env.BENCH_P2P_NAT_WARMUP_MIB ?? 4);
const REPEATS = Math.max(1, Number(process.env.BENCH_P2P_NAT_REPEATS ?? 3));
const PORT = 4001;
const here = fileURLToPath(import.meta.url);

export const NAT_TWO_NAT_PUNCH =
  "not possible with Node TCP: a TCP hole punch needs each side to dial out from its listening port, and Node cannot bind an outgoing socket with SO_REUSEPORT (libp2p's own interop tests list JS TCP hole punching as failing); between two NATs the bytes cross the relay (nat_relayed_*)";

export const NAT_PUNCHED_TOPOLOGY =
  "a publicly dialable node (11.19.0.2, address announced) fetches from a node behind a MASQUERADE NAT through the NAT'd node's relayed address; DCUtR on the NAT'd node dials the fetcher back directly (connection reversal) and the fetch moves to that connection";

/** The connection a fetch's bytes came over, as the fetcher saw it at the first byte. */
type Carrier = { via: "block stream" | "sealed direct channel"; direct: boolean; limited: boolean; direction: string; remoteAddr: string };
/** cpuMs: the fetcher's CPU time (user + system) over the fetch, which says more than throughput on a busy machine. */
type FetchRun = { bytes: number; ms: number; firstByteMs: number; cpuMs: number; carrier: Carrier; directConnectionAfterMs?: number };
type FetchOut = { reachability: string; warm: FetchRun; runs: FetchRun[] };

// ---- roles: each runs inside a namespace and prints one JSON line on stdout ----

const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** The public relay: announces its address, relays with Accord's limits, wants no relay itself. */
async function relayRole(dataDir: string, ip: string): Promise<void> {
  const listen = `/ip4/${ip}/tcp/${PORT}`;
  const node = await createAccordNode({ dataDir, listen: [listen], announce: [listen], privateAddresses: false, relay: { serve: true, client: "never" } });
  say({ address: `${listen}/p2p/${node.peerId}` });
}

/** The node behind NAT holding the content: reserves on the relay, then adds what will be fetched. */
async function serverRole(dataDir: string, relay: string, runs: number): Promise<void> {
  const node = await createAccordNode({ dataDir, listen: ["/ip4/0.0.0.0/tcp/0"], privateAddresses: false, bootstrap: [relay] });
  const reach = await node.reachability.settled(AbortSignal.timeout(120_000));
  if (reach.status !== "relayed") throw new Error(`the server behind NAT should be reachable only through the relay, but its reachability is ${JSON.stringify(reach)}`);
  const relayId = relay.split("/p2p/").pop()!;
  const address = reach.relayed.find((a) => a.includes(`/p2p/${relayId}/p2p-circuit`));
  if (!address) throw new Error(`no reservation on the relay ${relayId}: ${JSON.stringify(reach)}`);
  const warm = await node.content.addStream(payload(WARMUP_MIB, 1));
  const cids: string[] = [];
  for (let r = 0; r < runs; r++) cids.push((await node.content.addStream(payload(SIZE_MIB, 2 + r))).toString());
  say({ address, warm: warm.toString(), cids });
}

/** A fetcher: behind NAT (`publicIp` empty) or publicly dialable at `publicIp`. */
async function fetchRole(dataDir: string, relay: string, server: string, warmCid: string, cids: string, publicIp: string): Promise<void> {
  const listen = publicIp ? `/ip4/${publicIp}/tcp/${PORT}` : "/ip4/0.0.0.0/tcp/0";
  const options: AccordNodeOptions = { dataDir, listen: [listen], privateAddresses: false, bootstrap: [relay], relay: { serve: false } };
  if (publicIp) options.announce = [listen];
  const node = await createAccordNode(options);
  const reach = await node.reachability.settled(AbortSignal.timeout(120_000));
  const serverId = peerIdFromString(server.split("/p2p/").pop()!);
  const carrierOf = (): Carrier => {
    const open = node.libp2p.getConnections(serverId).filter((c) => c.status === "open");
    const streamed = open.find((c) => c.streams.some((s) => s.protocol === BLOCK_STREAM_PROTOCOL));
    // No block stream: the bytes come over the sealed channel, which only a direct connection opens.
    const c: Connection | undefined = streamed ?? open.find((x) => !isRelayed(x));
    if (!c) throw new Error(`the first byte came, but no connection to ${serverId} is open`);
    return { via: streamed ? "block stream" : "sealed direct channel", direct: !isRelayed(c), limited: c.limits !== undefined, direction: c.direction, remoteAddr: c.remoteAddr.toString() };
  };
  const fetch = async (cid: string): Promise<FetchRun> => {
    // Each fetch dials through the relay afresh, as one from a peer not yet connected does.
    await node.libp2p.hangUp(serverId);
    let directAt: number | undefined;
    const onOpen = (evt: CustomEvent<Connection>) => {
      if (directAt === undefined && evt.detail.remotePeer.equals(serverId) && !isRelayed(evt.detail)) directAt = performance.now();
    };
    node.libp2p.addEventListener("connection:open", onOpen);
    let bytes = 0;
    let firstByteMs = 0;
    let carrier: Carrier | undefined;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    try {
      for await (const chunk of node.content.cat(CID.parse(cid), { from: [server], reuseChunks: true })) {
        if (bytes === 0) {
          firstByteMs = performance.now() - t0;
          carrier = carrierOf();
        }
        bytes += chunk.length;
      }
    } finally {
      node.libp2p.removeEventListener("connection:open", onOpen);
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { bytes, ms, firstByteMs, cpuMs: (cpu.user + cpu.system) / 1000, carrier: carrier!, directConnectionAfterMs: directAt === undefined ? undefined : directAt - t0 };
  };
  const warm = await fetch(warmCid);
  const runs: FetchRun[] = [];
  for (const cid of cids.split(",")) runs.push(await fetch(cid));
  await node.stop();
  say({ reachability: reach.status, warm, runs } satisfies FetchOut);
}

// ---- the measurement, from outside the namespaces ----

export type NatFigures = {
  nat_relayed_mib_per_s: number | null;
  nat_punched_mib_per_s: number | null;
  nat_first_byte_ms: number | null;
  nat_punched_first_byte_ms: number | null;
  /** The fetcher's CPU ms per MiB in the median run. */
  nat_relayed_recv_cpu_ms_per_mib: number | null;
  nat_punched_recv_cpu_ms_per_mib: number | null;
  nat_punched_topology: string;
  /** Every timed punched fetch ran on a direct connection (not limited, not /p2p-circuit). */
  nat_punched_direct: boolean | null;
  nat_relayed_connection: Carrier | null;
  nat_punched_connection: Carrier | null;
  nat_two_nat_punch: string;
  nat_runs_mib_per_s: { relayed: number[]; punched: number[] } | null;
  /** When the NAT part started (the whole run's, at its end, is p2p.json's load_average_1m). */
  nat_load_average_1m: number;
  nat_skipped: string | null;
};

const mibps = (r: FetchRun) => r.bytes / MIB / (r.ms / 1000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function lastJson(p: Proc): Record<string, unknown> {
  return JSON.parse(p.out.trim().split("\n").pop()!);
}

async function finished(p: Proc, what: string): Promise<FetchOut> {
  const code = await p.exited;
  if (code !== 0) throw new Error(`${what} exited with ${code}; its stderr ends:\n${p.err.slice(-3000)}`);
  return lastJson(p) as FetchOut;
}

/** The NAT figures; `rows` gets the printed table's lines. Null figures, with the reason, where namespaces cannot be made. */
export async function measureNat(rows: Array<[string, string]>): Promise<NatFigures> {
  const skipped = process.env.BENCH_P2P_NAT === "0" ? "BENCH_P2P_NAT=0" : namespacesUnavailable();
  const empty: NatFigures = {
    nat_relayed_mib_per_s: null,
    nat_punched_mib_per_s: null,
    nat_first_byte_ms: null,
    nat_punched_first_byte_ms: null,
    nat_relayed_recv_cpu_ms_per_mib: null,
    nat_punched_recv_cpu_ms_per_mib: null,
    nat_punched_topology: NAT_PUNCHED_TOPOLOGY,
    nat_punched_direct: null,
    nat_relayed_connection: null,
    nat_punched_connection: null,
    nat_two_nat_punch: NAT_TWO_NAT_PUNCH,
    nat_runs_mib_per_s: null,
    nat_load_average_1m: Number(loadavg()[0]!.toFixed(2)),
    nat_skipped: skipped ?? null,
  };
  if (skipped) {
    console.log(`NAT part skipped: ${skipped}`);
    rows.push(["behind NAT", `skipped: ${skipped}`]);
    return empty;
  }
  const dir = await mkdtemp(join(tmpdir(), "accord-bench-nat-"));
  const procs: Proc[] = [];
  const start = (ns: string, args: string[]) => {
    const p = inNamespace(ns, [here, ...args]);
    procs.push(p);
    return p;
  };
  let topo: Topology | undefined;
  try {
    topo = buildTopology(2, 2);
    const [relayHost, fetcherHost] = topo.pubHosts as [{ ns: string; ip: string }, { ns: string; ip: string }];
    const [serverHome, fetcherHome] = topo.homes as [Topology["homes"][0], Topology["homes"][0]];
    const relay = start(relayHost.ns, ["relay", join(dir, "relay"), relayHost.ip]);
    await waitFor(relay, "the relay", () => relay.out.includes("\n"), 120_000);
    const relayAddr = lastJson(relay).address as string;
    const server = start(serverHome.host, ["server", join(dir, "server"), relayAddr, String(REPEATS)]);
    await waitFor(server, "the server behind NAT", () => server.out.includes("\n"), 300_000);
    const s = lastJson(server) as { address: string; warm: string; cids: string[] };
    // One at a time: two 64 MiB transfers at once would share the relay and the CPU.
    const relayed = await finished(start(fetcherHome.host, ["fetch", join(dir, "f-nat"), relayAddr, s.address, s.warm, s.cids.join(","), ""]), "the fetcher behind NAT");
    const punched = await finished(start(fetcherHost.ns, ["fetch", join(dir, "f-pub"), relayAddr, s.address, s.warm, s.cids.join(","), fetcherHost.ip]), "the public fetcher");
    for (const r of [...relayed.runs, ...punched.runs]) if (r.bytes !== SIZE_MIB * MIB) throw new Error(`short NAT transfer: ${r.bytes} bytes of ${SIZE_MIB * MIB}`);
    const byRate = (runs: FetchRun[]) => [...runs].sort((a, b) => mibps(a) - mibps(b))[Math.floor((runs.length - 1) / 2)]!;
    const rMed = byRate(relayed.runs);
    const pMed = byRate(punched.runs);
    const figures: NatFigures = {
      ...empty,
      nat_relayed_mib_per_s: mibps(rMed),
      nat_punched_mib_per_s: mibps(pMed),
      nat_first_byte_ms: median(relayed.runs.map((r) => r.firstByteMs)),
      nat_punched_first_byte_ms: median(punched.runs.map((r) => r.firstByteMs)),
      nat_relayed_recv_cpu_ms_per_mib: rMed.cpuMs / SIZE_MIB,
      nat_punched_recv_cpu_ms_per_mib: pMed.cpuMs / SIZE_MIB,
      nat_punched_direct: punched.runs.every((r) => r.carrier.direct && !r.carrier.limited && !r.carrier.remoteAddr.includes("/p2p-circuit")),
      nat_relayed_connection: rMed.carrier,
      nat_punched_connection: pMed.carrier,
      nat_runs_mib_per_s: { relayed: relayed.runs.map(mibps), punched: punched.runs.map(mibps) },
    };
    const fmt = (runs: FetchRun[]) => runs.map((r) => `${mibps(r).toFixed(1)} MiB/s (${(r.cpuMs / SIZE_MIB).toFixed(1)} CPU ms/MiB), first byte ${r.firstByteMs.toFixed(0)} ms${r.directConnectionAfterMs === undefined ? "" : `, direct connection after ${r.directConnectionAfterMs.toFixed(0)} ms`}`).join("; ");
    const conn = (c: Carrier) => `${c.via} on a ${c.direct ? "direct" : "relayed"} ${c.direction} connection${c.limited ? " (limited)" : ""} ${c.remoteAddr}`;
    rows.push([`NAT relayed ${SIZE_MIB} MiB`, `${mibps(rMed).toFixed(1)} MiB/s, first byte ${figures.nat_first_byte_ms!.toFixed(0)} ms (median of ${REPEATS}); fetcher behind NAT (${relayed.reachability}) from a node behind another NAT, through the relay`]);
    rows.push([`  runs`, fmt(relayed.runs)]);
    rows.push([`  connection`, conn(rMed.carrier)]);
    rows.push([`NAT punched ${SIZE_MIB} MiB`, `${mibps(pMed).toFixed(1)} MiB/s, first byte ${figures.nat_punched_first_byte_ms!.toFixed(0)} ms (median of ${REPEATS}); direct: ${figures.nat_punched_direct}`]);
    rows.push([`  topology`, NAT_PUNCHED_TOPOLOGY]);
    rows.push([`  runs`, fmt(punched.runs)]);
    rows.push([`  connection`, conn(pMed.carrier)]);
    rows.push([`NAT two NATs, punched`, NAT_TWO_NAT_PUNCH]);
    return figures;
  } finally {
    await stopAll(procs);
    topo?.cleanup();
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

// Imported by p2p.ts (whose own children have roles of their own), it only exports.
if (process.argv[1] === here) {
  const [role, ...args] = process.argv.slice(2);
  if (role === "relay") await relayRole(args[0]!, args[1]!);
  else if (role === "server") await serverRole(args[0]!, args[1]!, Number(args[2]));
  else if (role === "fetch") {
    await fetchRole(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5] ?? "");
    process.exit(0);
  } else if (role !== undefined) throw new Error(`unknown role ${role}: relay, server or fetch`);
  else {
    const rows: Array<[string, string]> = [];
    const figures = await measureNat(rows);
    console.log(rows.map(([k, v]) => `${k}  ${v}`).join("\n"));
    console.log(JSON.stringify(figures, null, 2));
  }
}

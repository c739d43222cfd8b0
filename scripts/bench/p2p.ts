/**
 * Network and content benchmark (`npm run bench:p2p`):
 *  - 64 MiB and 256 MiB moved between two nodes through the content layer (the direct
 *    block channel, else the block stream over noise+yamux; every block verified and
 *    written to disk) and through a raw TCP socket on loopback; the ratio of throughputs,
 *    and CPU ms per MiB on each side;
 *  - DHT findProviders latency among 20 nodes (median, p95);
 *  - peak RSS of the receiving process while it moves 1 GiB through the content layer;
 *  - behind NAT (p2p-nat.ts, in network namespaces; needs root, else its keys are null and
 *    nat_skipped says why; BENCH_P2P_NAT=0 skips it): 64 MiB fetched from a node behind NAT
 *    through a relay by a node behind another NAT, and by a public node over the direct
 *    connection DCUtR makes (nat_relayed_mib_per_s, nat_punched_mib_per_s, nat_first_byte_ms).
 * Receivers run as child processes, so their memory is measured alone.
 * The sender is one long-lived node, as a provider serving results is: before measuring, one
 * untimed transfer of each kind (BENCH_P2P_WARMUP_MIB, 16; 0 skips it) compiles its hot paths,
 * so the first measured size does not pay the sender's JIT warm-up that the others do not.
 * Every receiver is a fresh process, and a running node too: the content receiver starts with
 * the sender as its bootstrap peer (connected, as a node is to its peers) and, like the TCP
 * receiver, first receives BENCH_P2P_WARMUP_MIB untimed over a connection of its own kind, so
 * the timed transfer measures throughput, not a cold process's first dial (~100 ms of CPU
 * before the first byte: noise, identify, the ticket, all code run for the first time). That
 * cold first fetch is measured apart: `content_cold_mib_per_s_64mib`, a fresh node that
 * dials and fetches 64 MiB at once.
 * Each size is moved BENCH_P2P_REPEATS times (3) each way, TCP and content alternating, and
 * the run of median throughput of each kind is reported: a single raw TCP run at 256 MiB
 * measured anywhere from 243 to 503 MiB/s on this machine, which made one ratio say little.
 * Writes bench/results/p2p.json. Sizes can be overridden: BENCH_P2P_SIZES_MIB=64,256 BENCH_P2P_BIG_MIB=1024.
 * For iterating on transfers: BENCH_P2P_DHT=0 skips the DHT part (the results then lack it);
 * BENCH_P2P_VERBOSE=1 prints, per transfer, each thread's CPU (main, V8's GC workers, libuv's
 * fs pool), the receiver's page faults and its time to the first byte.
 */
import { fork } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CID } from "multiformats/cid";
import { createAccordNode, type AccordNode } from "../../client/src/net/node.ts";
import { MIB, payload } from "./payload.ts";
import { measureNat } from "./p2p-nat.ts";

const SIZES_MIB = (process.env.BENCH_P2P_SIZES_MIB ?? "64,256").split(",").map(Number);
const BIG_MIB = Number(process.env.BENCH_P2P_BIG_MIB ?? 1024);
const WARMUP_MIB = Number(process.env.BENCH_P2P_WARMUP_MIB ?? 16);
const REPEATS = Math.max(1, Number(process.env.BENCH_P2P_REPEATS ?? 3));
const DHT_NODES = 20;
const DHT_LOOKUPS = 40;
const here = fileURLToPath(import.meta.url);

/**
 * cpuMs: the receiving child's CPU time (user + system) while it moved the bytes; sysMs its
 * system part (socket reads, page faults, and for content the block files' page cache).
 */
type ChildResult = { bytes: number; ms: number; maxRssMib: number; cpuMs: number; sysMs: number };

const VERBOSE = Boolean(process.env.BENCH_P2P_VERBOSE);

/** CPU ticks (user, system; 10 ms each) of every thread of this process, by name and id. */
function threadTicks(): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const task of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(`${stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))}#${task}`, [Number(fields[11]), Number(fields[12])]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

function threadsSince(before: Map<string, [number, number]>): string {
  const used: string[] = [];
  for (const [name, [user, sys]] of threadTicks()) {
    const [u0, s0] = before.get(name) ?? [0, 0];
    if (user - u0 + sys - s0 > 0) used.push(`${name} ${(user - u0) * 10}+${(sys - s0) * 10}`);
  }
  return `${used.join(", ")} (user+sys ms)`;
}
type Measured = ChildResult & { senderCpuMs: number };

/**
 * Runs a receiving child; the sender is this process, so its CPU time from the child's
 * "start" (sent just before it asks for the bytes, after its own node started) to the
 * child's result is the sender's: the same window the receiver measures.
 */
function runChild(args: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = fork(here, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let before = process.cpuUsage();
    let threads = threadTicks();
    child.on("message", (m) => {
      if (m === "start") {
        before = process.cpuUsage();
        threads = threadTicks();
        return;
      }
      const used = process.cpuUsage(before);
      if (VERBOSE) console.error(`  sender threads: ${threadsSince(threads)}`);
      resolve({ ...(m as ChildResult), senderCpuMs: (used.user + used.system) / 1000 });
    });
    child.once("exit", (code) => code !== 0 && reject(new Error(`child ${args[0]} exited with ${code}`)));
  });
}

const cpuMs = (cpu: NodeJS.CpuUsage) => (cpu.user + cpu.system) / 1000;

async function childMain(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  let bytes = 0;
  let t0 = 0;
  let cpu0 = process.cpuUsage();
  let receive: () => Promise<void>;
  let stop = async () => {};
  if (mode === "recv-tcp") {
    const [port, warm] = rest;
    const pull = (count: (n: number) => void) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1");
        socket.on("data", (d) => count(d.length));
        socket.on("end", resolve);
        socket.on("error", reject);
      });
    // The server's first connection carries the warm-up bytes, the second the measured ones.
    if (warm === "warm") await pull(() => {});
    receive = () => pull((n) => (bytes += n));
  } else {
    const [dataDir, addr, cid, warmCid] = rest;
    const readAhead = process.env.BENCH_P2P_READ_AHEAD;
    const node = await createAccordNode({ dataDir, bootstrap: warmCid ? [addr] : [], content: readAhead ? { blockReadAhead: Number(readAhead) } : {} });
    // cat returns once the last block is verified and written to the blockstore. The reader
    // is done with each chunk before it asks for the next, as getBytes and a reader writing
    // the bytes out are, so it lets the store reuse their buffers (reuseChunks).
    const fetch = async (root: string, count: (n: number) => void) => {
      for await (const chunk of node.content.cat(CID.parse(root), { from: [addr], reuseChunks: true })) count(chunk.length);
    };
    if (warmCid) await fetch(warmCid, () => {});
    receive = () =>
      fetch(cid, (n) => {
        if (VERBOSE && bytes === 0) console.error(`  first byte after ${(performance.now() - t0).toFixed(0)} ms, ${cpuMs(process.cpuUsage(cpu0)).toFixed(0)} ms of CPU`);
        bytes += n;
      });
    stop = () => node.stop();
  }
  // From the request to the last byte (stored and verified, for content), on both sides.
  process.send!("start");
  const threads = threadTicks();
  const faults = process.resourceUsage().minorPageFault;
  t0 = performance.now();
  cpu0 = process.cpuUsage();
  await receive();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (VERBOSE) {
    const mib = bytes / MIB;
    console.error(`${mode} ${mib} MiB: ${(cpu.user / 1000 / mib).toFixed(2)} user + ${(cpu.system / 1000 / mib).toFixed(2)} sys ms/MiB, ${((process.resourceUsage().minorPageFault - faults) / mib).toFixed(0)} page faults/MiB`);
    console.error(`  receiver threads: ${threadsSince(threads)}`);
  }
  await stop();
  process.send!({ bytes, ms, maxRssMib: process.resourceUsage().maxRSS / 1024, cpuMs: cpuMs(cpu), sysMs: cpu.system / 1000 });
}

/** `warm`: the child first receives WARMUP_MIB on a connection of its own, untimed. */
async function rawTcp(sizeMib: number, warm: boolean): Promise<Measured> {
  let connections = 0;
  const server = createServer(async (socket) => {
    const mib = warm && connections++ === 0 ? WARMUP_MIB : sizeMib;
    for await (const chunk of payload(mib)) if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r));
    socket.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const result = await runChild(["recv-tcp", String(port), warm ? "warm" : "cold"]);
  server.close();
  return result;
}

/** `warmCid`: the child starts connected to the sender and first fetches this, untimed. */
async function content(sender: AccordNode, dir: string, sizeMib: number, warmCid?: CID): Promise<Measured> {
  const cid = await sender.content.addStream(payload(sizeMib));
  const recvDir = join(dir, `recv-${sizeMib}`);
  const result = await runChild(["recv-content", recvDir, sender.multiaddrs[0].toString(), cid.toString(), ...(warmCid ? [warmCid.toString()] : [])]);
  await rm(recvDir, { recursive: true, force: true, maxRetries: 5 });
  await sender.content.unpin(cid);
  await sender.content.gc();
  return result;
}

async function dhtLatency(dir: string): Promise<{ latencies: number[]; misses: number }> {
  const nodes = [await createAccordNode({ dataDir: join(dir, "dht-0") })];
  const seed = nodes[0].multiaddrs[0].toString();
  for (let i = 1; i < DHT_NODES; i++) nodes.push(await createAccordNode({ dataDir: join(dir, `dht-${i}`), bootstrap: [seed] }));
  const latencies: number[] = [];
  let misses = 0;
  try {
    for (let i = 0; i < DHT_LOOKUPS; i++) {
      const holder = nodes[(i * 7 + 3) % DHT_NODES];
      const seeker = nodes[(i * 11 + 5) % DHT_NODES];
      if (holder === seeker) continue;
      const cid = await holder.content.add(new TextEncoder().encode(`dht bench ${i}`));
      // An announcement that ran out of time (20 nodes on a busy machine) is a miss, not
      // the end of the bench: it threw the timer's DOMException out of main once.
      try {
        await holder.content.provide(cid);
      } catch (err) {
        console.warn(`provide ${i} failed (${(err as Error).name}: ${(err as Error).message}); counted as a miss`);
        misses++;
        continue;
      }
      const t0 = performance.now();
      const found = await seeker.content.findProviders(cid, { limit: 1 });
      const ms = performance.now() - t0;
      // A miss is reported, not timed: its latency is the lookup timeout, not the DHT's speed.
      if (found[0]?.id.toString() !== holder.peerId.toString()) misses++;
      else latencies.push(ms);
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
  return { latencies, misses };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const mibps = (r: ChildResult) => r.bytes / MIB / (r.ms / 1000);
/** The run of median throughput (its CPU figures go with it). */
const medianRun = <T extends ChildResult>(runs: T[]): T => [...runs].sort((a, b) => mibps(a) - mibps(b))[Math.floor((runs.length - 1) / 2)];

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "accord-bench-p2p-"));
  const rows: Array<[string, string]> = [];
  const json: Record<string, number> = {};
  let nat: Record<string, unknown> = {};
  try {
    const sender = await createAccordNode({ dataDir: join(dir, "sender") });
    try {
      let warmCid: CID | undefined;
      if (WARMUP_MIB > 0) {
        await rawTcp(WARMUP_MIB, false);
        await content(sender, dir, WARMUP_MIB);
        warmCid = await sender.content.addStream(payload(WARMUP_MIB, 1));
      }
      for (const size of SIZES_MIB) {
        const tcpRuns: Measured[] = [];
        const cntRuns: Measured[] = [];
        for (let r = 0; r < REPEATS; r++) {
          tcpRuns.push(await rawTcp(size, warmCid !== undefined));
          cntRuns.push(await content(sender, dir, size, warmCid));
          const [t, c] = [tcpRuns[r], cntRuns[r]];
          if (c.bytes !== size * MIB || t.bytes !== size * MIB) throw new Error(`short transfer: ${c.bytes} / ${t.bytes}`);
        }
        const tcp = medianRun(tcpRuns);
        const cnt = medianRun(cntRuns);
        const ratios = cntRuns.map((c, r) => mibps(c) / mibps(tcpRuns[r]));
        json[`content_over_tcp_${size}mib_min`] = Math.min(...ratios);
        json[`content_over_tcp_${size}mib_max`] = Math.max(...ratios);
        rows.push([`runs ${size} MiB`, `TCP ${tcpRuns.map((r) => mibps(r).toFixed(0)).join(", ")}; content ${cntRuns.map((r) => mibps(r).toFixed(0)).join(", ")} MiB/s (pairwise ${ratios.map((x) => x.toFixed(2)).join(", ")})`]);
        json[`tcp_mib_per_s_${size}mib`] = mibps(tcp);
        json[`content_mib_per_s_${size}mib`] = mibps(cnt);
        json[`content_over_tcp_${size}mib`] = mibps(cnt) / mibps(tcp);
        // CPU time per MiB depends less on what else the machine runs than throughput does.
        json[`tcp_recv_cpu_ms_per_mib_${size}mib`] = tcp.cpuMs / size;
        json[`tcp_send_cpu_ms_per_mib_${size}mib`] = tcp.senderCpuMs / size;
        json[`content_recv_cpu_ms_per_mib_${size}mib`] = cnt.cpuMs / size;
        // The system part: for content mostly the block files' page cache, which costs what the machine makes it cost.
        json[`tcp_recv_sys_cpu_ms_per_mib_${size}mib`] = tcp.sysMs / size;
        json[`content_recv_sys_cpu_ms_per_mib_${size}mib`] = cnt.sysMs / size;
        json[`content_send_cpu_ms_per_mib_${size}mib`] = cnt.senderCpuMs / size;
        rows.push([`raw TCP ${size} MiB`, `${mibps(tcp).toFixed(0)} MiB/s (median of ${REPEATS})`]);
        console.log(`raw TCP ${size} MiB: ${mibps(tcp).toFixed(0)} MiB/s; content: ${mibps(cnt).toFixed(0)} MiB/s`);
        rows.push([`content ${size} MiB`, `${mibps(cnt).toFixed(0)} MiB/s (${(100 * json[`content_over_tcp_${size}mib`]).toFixed(1)} % of TCP)`]);
        rows.push([`  CPU ms per MiB`, `content: receiver ${(cnt.cpuMs / size).toFixed(1)} (sys ${(cnt.sysMs / size).toFixed(1)}), sender ${(cnt.senderCpuMs / size).toFixed(1)}; TCP: receiver ${(tcp.cpuMs / size).toFixed(1)} (sys ${(tcp.sysMs / size).toFixed(1)}), sender ${(tcp.senderCpuMs / size).toFixed(1)}`]);
      }
      // A fresh node's first fetch: its dial and every code path run for the first time.
      const cold = await content(sender, dir, 64);
      json.content_cold_mib_per_s_64mib = mibps(cold);
      json.content_cold_recv_cpu_ms_per_mib_64mib = cold.cpuMs / 64;
      rows.push([`content 64 MiB, cold node`, `${mibps(cold).toFixed(0)} MiB/s, receiver ${(cold.cpuMs / 64).toFixed(1)} ms of CPU per MiB (dial and first run included)`]);
      const big = await content(sender, dir, BIG_MIB, warmCid);
      if (big.bytes !== BIG_MIB * MIB) throw new Error(`short transfer of ${BIG_MIB} MiB: ${big.bytes}`);
      json[`peak_rss_mib_${BIG_MIB === 1024 ? "1gib" : `${BIG_MIB}mib`}`] = big.maxRssMib;
      json[`content_mib_per_s_${BIG_MIB}mib`] = mibps(big);
      json[`content_recv_cpu_ms_per_mib_${BIG_MIB}mib`] = big.cpuMs / BIG_MIB;
      rows.push([`content ${BIG_MIB} MiB`, `${mibps(big).toFixed(0)} MiB/s, receiver peak RSS ${big.maxRssMib.toFixed(0)} MiB`]);
    } finally {
      await sender.stop();
    }
    if (process.env.BENCH_P2P_DHT !== "0") {
      const { latencies: lat, misses } = await dhtLatency(dir);
      json.find_providers_misses = misses;
      json.find_providers_median_ms = quantile(lat, 0.5);
      json.find_providers_p95_ms = quantile(lat, 0.95);
      json.find_providers_lookups = lat.length;
      rows.push([`findProviders, ${DHT_NODES} nodes`, `median ${json.find_providers_median_ms.toFixed(1)} ms, p95 ${json.find_providers_p95_ms.toFixed(1)} ms (${lat.length} lookups, ${misses} missed)`]);
    }
    // A NAT part that fails (a node that never got its reservation on a busy machine) must not
    // throw away the minutes of figures above: they are written, with the error, and the run fails.
    nat = await measureNat(rows).catch((err: unknown) => {
      console.error(`the NAT part failed: ${(err as Error).stack ?? err}`);
      rows.push(["behind NAT", `failed: ${(err as Error).message.split("\n")[0]}`]);
      process.exitCode = 1;
      return { nat_error: String((err as Error).message ?? err) };
    });
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n"));
  const out = join(dirname(here), "..", "..", "bench", "results", "p2p.json");
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ ...json, ...nat, load_average_1m: Number(loadavg()[0]!.toFixed(2)), measured_at: new Date().toISOString() }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

if (process.argv[2]?.startsWith("recv-")) await childMain();
else await main();

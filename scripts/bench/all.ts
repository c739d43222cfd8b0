// `npm run bench`: every benchmark in turn, then bench/RESULTS.md, one table of every figure
// against its target. Each benchmark writes bench/results/<name>.json itself; this only runs
// them and reads what they wrote, so a benchmark run alone and in the suite report the same.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

type Target = { key: string; label: string; unit: string; target?: { op: "<=" | ">=" | "<"; value: number } };
type Bench = { name: string; script: string; figures: Target[] };

const BENCHES: Bench[] = [
  {
    name: "gas",
    script: "bench:gas",
    figures: [
      { key: "total_k1", label: "gas, full lifecycle k=1 (committed bids)", unit: "gas" },
      { key: "total_k3_q2", label: "gas, full lifecycle k=3 m=2, first k bids (poolWindow 0)", unit: "gas" },
      { key: "total_k3_q2_drawn", label: "gas, k=3 m=2, 3 of 6 drawn: post, winners, draw, reveals", unit: "gas", target: { op: "<=", value: 500_000 } },
      { key: "losers_k3_q2_drawn", label: "gas, k=3 m=2, the 3 losers' bids", unit: "gas" },
      { key: "total_k1_two_phase", label: "gas, k=1, bid then commit (heavy jobs)", unit: "gas" },
      { key: "total_k3_q2_two_phase", label: "gas, k=3 m=2, bid then commit (heavy jobs)", unit: "gas" },
    ],
  },
  {
    name: "trust",
    script: "bench:trust",
    figures: [
      { key: "p_wrong_f10_k4_unanimous", label: "P(wrong result accepted), adversary 10 % of stake, k=4 unanimous", unit: "", target: { op: "<=", value: 1e-4 } },
      { key: "replicas_per_job_honest_k4", label: "replicas run per k=4 job with no liar", unit: "", target: { op: "<=", value: 4.4 } },
      { key: "adversary_profit_f33_k4_unanimous", label: "adversary profit per job at 33 % of stake, k=4 unanimous", unit: "× maxPrice", target: { op: "<", value: 0 } },
    ],
  },
  {
    name: "sandbox",
    script: "bench:sandbox",
    figures: [
      { key: "metered_over_plain", label: "metered sandbox / plain WebAssembly", unit: "×", target: { op: "<=", value: 1.25 } },
      { key: "metered_over_native", label: "metered sandbox / native", unit: "×" },
      { key: "fuel_per_second", label: "fuel per second", unit: "fuel/s" },
      { key: "host_ns_per_fuel_worst", label: "host calls: worst wall per fuel over the hostile floods", unit: "ns" },
      { key: "plain_wasm_ns_per_fuel", label: "plain compute: wall per fuel", unit: "ns" },
      { key: "host_over_plain_worst", label: "  host worst / plain", unit: "×", target: { op: "<=", value: 10 } },
      { key: "cold_first_run_ms", label: "a fresh pool's first run of a small module", unit: "ms", target: { op: "<=", value: 200 } },
      { key: "over_native_worst", label: "realistic C and Rust workloads, warm, worst over native", unit: "×", target: { op: "<=", value: 1.5 } },
      { key: "over_native_cpu_worst", label: "  the same in CPU time", unit: "×" },
    ],
  },
  {
    name: "cli",
    script: "bench:cli",
    figures: [
      { key: "cli_help_ms", label: "accord --help", unit: "ms", target: { op: "<=", value: 500 } },
      { key: "cli_status_ms", label: "accord job status <id>", unit: "ms", target: { op: "<=", value: 1_500 } },
      { key: "cli_dry_run_ms", label: "accord job dry-run (echo)", unit: "ms" },
      { key: "provider_help_ms", label: "accord-provider --help", unit: "ms" },
    ],
  },
  {
    name: "p2p",
    script: "bench:p2p",
    figures: [
      { key: "content_over_tcp_64mib", label: "content / raw TCP throughput, 64 MiB (medians of 3 runs each)", unit: "×", target: { op: ">=", value: 0.5 } },
      { key: "content_over_tcp_64mib_min", label: "  lowest of the 3 paired runs, 64 MiB", unit: "×" },
      { key: "content_over_tcp_256mib", label: "content / raw TCP throughput, 256 MiB (medians of 3 runs each)", unit: "×", target: { op: ">=", value: 0.5 } },
      { key: "content_over_tcp_256mib_min", label: "  lowest of the 3 paired runs, 256 MiB", unit: "×" },
      { key: "content_cold_mib_per_s_64mib", label: "content 64 MiB, a fresh node's first fetch (dial included)", unit: "MiB/s" },
      { key: "find_providers_median_ms", label: "DHT findProviders median, 20 nodes", unit: "ms", target: { op: "<", value: 100 } },
      { key: "find_providers_p95_ms", label: "DHT findProviders p95, 20 nodes", unit: "ms" },
      { key: "peak_rss_mib_1gib", label: "peak RSS moving 1 GiB", unit: "MiB" },
      { key: "nat_relayed_mib_per_s", label: "64 MiB from behind NAT to behind NAT, through a relay", unit: "MiB/s" },
      { key: "nat_punched_mib_per_s", label: "64 MiB from behind NAT, upgraded to direct by DCUtR", unit: "MiB/s" },
      { key: "nat_first_byte_ms", label: "first byte of a relayed fetch", unit: "ms" },
    ],
  },
  {
    name: "realchain",
    script: "bench:realchain",
    figures: [
      { key: "succeeded_ratio", label: "anvil, 2 s blocks: 110 three-replica jobs verified", unit: "", target: { op: ">=", value: 1 } },
      { key: "reverted_provider_txs", label: "  provider transactions reverted", unit: "", target: { op: "<=", value: 0 } },
      { key: "median_blocks_to_verified", label: "  blocks from post to verified result, median", unit: "blocks", target: { op: "<=", value: 4 } },
      { key: "jobs_per_second", label: "  jobs verified per second", unit: "jobs/s" },
    ],
  },
  {
    name: "provider",
    script: "bench:provider",
    figures: [
      { key: "jobs_per_second", label: "provider: jobs handled per second", unit: "jobs/s" },
      { key: "award_to_reveal_median_ms", label: "provider: award → reveal median", unit: "ms" },
      { key: "award_to_reveal_p95_ms", label: "provider: award → reveal p95", unit: "ms" },
      { key: "rss_mib_start", label: "provider: RSS at start", unit: "MiB" },
      { key: "rss_mib_end", label: "provider: RSS after 200 jobs", unit: "MiB" },
    ],
  },
  {
    name: "e2e",
    script: "bench:e2e",
    figures: [
      { key: "automine_median_ms", label: "submit → verified result, automine, median", unit: "ms", target: { op: "<", value: 1_500 } },
      { key: "automine_p95_ms", label: "submit → verified result, automine, p95", unit: "ms" },
      { key: "block1s_median_ms", label: "submit → verified result, 1 s blocks, median", unit: "ms" },
      { key: "block1s_p95_ms", label: "submit → verified result, 1 s blocks, p95", unit: "ms" },
    ],
  },
  {
    name: "throughput",
    script: "bench:throughput",
    figures: [
      { key: "jobs_per_second", label: "3-replica jobs settled per second, 5 providers", unit: "jobs/s", target: { op: ">=", value: 10 } },
    ],
  },
];

const only = process.argv.slice(2);
const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>;
const ran: Record<string, { ok: boolean; seconds: number; note?: string }> = {};

for (const bench of BENCHES) {
  if (only.length && !only.includes(bench.name)) continue;
  if (!scripts[bench.script]) {
    ran[bench.name] = { ok: false, seconds: 0, note: `no \`${bench.script}\` script` };
    continue;
  }
  console.log(`\n=== npm run ${bench.script} ===`);
  const t0 = Date.now();
  const r = spawnSync("npm", ["run", "--silent", bench.script], { stdio: "inherit", env: process.env });
  ran[bench.name] = { ok: r.status === 0, seconds: (Date.now() - t0) / 1000, note: r.status === 0 ? undefined : `exit ${r.status}` };
}

const fmt = (v: unknown) =>
  typeof v !== "number" ? "—" : Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en-US") : Number(v.toPrecision(3)).toString();

const lines = [
  "# Benchmark results",
  "",
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, on ${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"}) with ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}.`,
  "Each row comes from `bench/results/<benchmark>.json`, written by `npm run bench:<benchmark>`.",
  "",
  "| benchmark | figure | value | target | met |",
  "| --- | --- | --- | --- | --- |",
];
for (const bench of BENCHES) {
  const file = `bench/results/${bench.name}.json`;
  const data = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
  for (const f of bench.figures) {
    const v = data?.[f.key];
    const t = f.target;
    const met = t === undefined || typeof v !== "number" ? "" : (t.op === "<=" ? v <= t.value : t.op === ">=" ? v >= t.value : v < t.value) ? "yes" : "**no**";
    lines.push(`| ${bench.name} | ${f.label} | ${fmt(v)} ${typeof v === "number" ? f.unit : ""} | ${t ? `${t.op} ${fmt(t.value)} ${f.unit}` : ""} | ${met} |`);
  }
}
const failures = Object.entries(ran).filter(([, r]) => !r.ok);
if (failures.length) {
  lines.push("", "Benchmarks that did not finish in this run (their rows show the last results on disk, if any):", "");
  for (const [name, r] of failures) lines.push(`- ${name}: ${r.note}`);
}
writeFileSync("bench/RESULTS.md", lines.join("\n") + "\n");
console.log("\n" + lines.slice(5).join("\n"));
console.log("\nWrote bench/RESULTS.md");
process.exit(failures.length ? 1 : 0);

/**
 * over_native_worst: realistic workloads (client/fixtures/wasm: word frequencies, SHA-256,
 * matrix multiply, PPM box blur, each in C and Rust, and the C n-body) run warm in the sandbox
 * pool (it has run the module once) against the same source compiled natively with the same
 * compiler and flags as its .wasm (clang -O2; rustc --edition 2021 -C opt-level=3), each side
 * with its baseline 128-bit vectors: the .wasm with SIMD128 (client/fixtures/wasm/build.sh), the
 * native for x86-64, whose baseline has SSE2. Natives are compiled here; a language whose
 * compiler is missing is skipped with a note.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type SandboxPool, shareJob } from "../../../client/src/sandbox/index.ts";
import { noise, ppm, prose } from "../../../client/fixtures/wasm/workloads.ts";
import { decode, fixturePath, have, makeJob, measure, median, type Row } from "./common.ts";

const RUSTC = process.env.RUSTC ?? "/usr/bin/rustc";

export type Workload = { name: string; lang: "C" | "Rust"; wasm: string; args: string[]; nativeArgs: string[]; inputs: Record<string, Uint8Array>; output?: string };

/** Writes the inputs to `work` and lists the workloads (the natives are built by `compileNatives`). */
export function workloads(work: string, nbodySteps: number): Workload[] {
  const text = prose(8 << 20);
  const data = noise(64 << 20);
  const image = ppm(2048, 1536);
  for (const [f, b] of [["text.txt", text], ["data.bin", data], ["image.ppm", image]] as const) writeFileSync(join(work, f), b);
  const list: Workload[] = [];
  for (const [lang, suffix] of [["C", ""], ["Rust", "-rs"]] as const) {
    list.push(
      { name: "wordfreq 8 MiB", lang, wasm: `wordfreq${suffix}`, args: ["/input/text.txt", "20"], nativeArgs: [join(work, "text.txt"), "20"], inputs: { "text.txt": text } },
      { name: "sha256 64 MiB", lang, wasm: `sha256${suffix}`, args: ["/input/data.bin"], nativeArgs: [join(work, "data.bin")], inputs: { "data.bin": data } },
      { name: "matmul 512", lang, wasm: `matmul${suffix}`, args: ["512"], nativeArgs: ["512"], inputs: {} },
      { name: "blur 2048x1536 r4", lang, wasm: `blur${suffix}`, args: ["/input/image.ppm", "/output/out.ppm", "4"], nativeArgs: [join(work, "image.ppm"), join(work, `out${suffix}.ppm`), "4"], inputs: { "image.ppm": image }, output: join(work, `out${suffix}.ppm`) },
    );
  }
  list.push({ name: `nbody ${nbodySteps}`, lang: "C", wasm: "nbody", args: [String(nbodySteps)], nativeArgs: [String(nbodySteps)], inputs: {} });
  return list;
}

/** Compiles each workload's source natively into `work`; returns the binaries by wasm name. */
export function compileNatives(list: Workload[], work: string): Map<string, string> {
  const bins = new Map<string, string>();
  const cc = have("clang") ? "clang" : have("gcc") ? "gcc" : undefined;
  if (!cc) console.log("  note: no clang or gcc here, the C workloads are skipped");
  else if (cc !== "clang") console.log("  note: no clang here; C natives use gcc -O2 (the .wasm are clang -O2)");
  const rust = have(RUSTC);
  if (!rust) console.log(`  note: no ${RUSTC} here, the Rust workloads are skipped (set RUSTC)`);
  for (const w of list) {
    const out = join(work, `${w.wasm}-native`);
    if (w.lang === "C" && cc) execFileSync(cc, ["-O2", "-o", out, fixturePath(`${w.wasm}.c`), "-lm"]);
    else if (w.lang === "Rust" && rust) execFileSync(RUSTC, ["--edition", "2021", "-C", "opt-level=3", "-o", out, fixturePath(`${w.wasm.replace(/-rs$/, "")}.rs`)]);
    else continue;
    bins.set(w.wasm, out);
  }
  return bins;
}

/**
 * CPU nanoseconds used so far by this process's sandbox processes, every thread (V8's compiler
 * and GC threads work for the job too), from the scheduler's own count (/proc/PID/task/TID/
 * schedstat, in ns; /proc's utime ticks are 10 ms, too coarse for 60 ms runs). A process that
 * ended in between is not counted, so a pool that replaces one reads short: the bench checks
 * that every run exited 0.
 */
function sandboxCpuNs(): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    for (const child of readFileSync(`/proc/${process.pid}/task/${tid}/children`, "utf8").split(" ").filter(Boolean)) {
      try {
        if (!readFileSync(`/proc/${child}/cmdline`, "utf8").includes("sandbox-process")) continue;
        for (const t of readdirSync(`/proc/${child}/task`)) total += Number(readFileSync(`/proc/${child}/task/${t}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // the process ended while being read
      }
    }
  }
  return total;
}

/** Runs a native binary; returns its wall ms and CPU ms (user + system, bash's `time`, ms resolution). */
function runNative(bin: string, args: string[]): [number, number] {
  const t = performance.now();
  const out = execFileSync("bash", ["-c", 'TIMEFORMAT="%3U %3S"; { time "$0" "$@" >/dev/null 2>&1; } 2>&1', bin, ...args], { encoding: "utf8" });
  const wall = performance.now() - t;
  const [user, sys] = out.trim().split(/\s+/).map(Number);
  return [wall, (user! + sys!) * 1000];
}

/**
 * Wall time is the figure (over_native); CPU time (over_native_cpu) is beside it because on a
 * busy machine the wall time of a run in a separate process measures the scheduler as much as
 * the sandbox.
 */
export async function overNative(pool: SandboxPool, list: Workload[], bins: Map<string, string>, runs: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const w of list) {
    const bin = bins.get(w.wasm);
    if (!bin) continue;
    const job = shareJob(makeJob(w.wasm, w.args, { inputs: w.inputs }, { fuel: Number.MAX_SAFE_INTEGER, memoryPages: 4096 }));
    const warm = await pool.run(job);
    if (warm.status.kind !== "exit" || warm.status.code !== 0) throw new Error(`${w.name} (${w.lang}): ${JSON.stringify(warm.status)} ${decode(warm.stderr)}`);
    const expected = execFileSync(bin, w.nativeArgs, { encoding: "utf8" });
    if (decode(warm.stdout) !== expected) throw new Error(`${w.name} (${w.lang}): the native run disagrees with the sandbox`);
    if (w.output && !Buffer.from(warm.files["out.ppm"]!).equals(readFileSync(w.output))) throw new Error(`${w.name} (${w.lang}): output files differ`);
    const sandbox: number[] = [], sandboxCpu: number[] = [];
    const native: number[] = [], nativeCpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const cpu0 = sandboxCpuNs();
      let status = "";
      const [wall] = await measure(async () => (status = JSON.stringify((await pool.run(job)).status)));
      if (status !== JSON.stringify(warm.status)) throw new Error(`${w.name} (${w.lang}): a timed run ended ${status}, the first ${JSON.stringify(warm.status)}`);
      sandboxCpu.push((sandboxCpuNs() - cpu0) / 1e6);
      sandbox.push(wall);
      const [nw, nc] = runNative(bin, w.nativeArgs);
      native.push(nw);
      nativeCpu.push(nc);
    }
    const s = median(sandbox), n = median(native);
    const sc = median(sandboxCpu), nc = median(nativeCpu);
    rows.push({ case: w.name, lang: w.lang, wasm: w.wasm, sandbox_wall_ms: s, native_wall_ms: n, over_native: s / n, sandbox_cpu_ms: sc, native_cpu_ms: nc, over_native_cpu: sc / nc, fuel: warm.fuelUsed });
    console.log(`  ${w.name} (${w.lang}): sandbox ${s.toFixed(0)} ms (cpu ${sc.toFixed(0)}), native ${n.toFixed(0)} ms (cpu ${nc.toFixed(0)}), ${(s / n).toFixed(2)}x wall, ${(sc / nc).toFixed(2)}x cpu`);
  }
  return rows;
}

/** Determinism across runs and pools, and survival under hostile load. */
import { afterAll, describe, expect, it } from "vitest";
import { resultCid } from "./bundle.ts";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { SandboxBusyError, SandboxClosedError, SandboxCrashedError, UnsupportedImportError, WallClockTimeoutError } from "./errors.ts";
import { shareJob } from "./job.ts";
import { createSandboxPool } from "./pool.ts";
import { job, str, text } from "./testing.ts";
import type { SandboxJob } from "./types.ts";

/** Pids of this process's sandbox children that are running a job's worker (from /proc). */
function sandboxProcesses(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, "utf8").includes("sandbox-process")) pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

async function waitFor<T extends unknown[]>(f: () => T): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = f();
    if (v.length) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no sandbox process appeared in 5 s");
}

const poolA = createSandboxPool({ size: 2 });
const poolB = createSandboxPool({ size: 1 });
afterAll(() => Promise.all([poolA.close(), poolB.close()]));

const deterministicJobs: SandboxJob[] = [
  job("sort", { inputs: { "data.txt": text("kiwi\nbanana\napple\n") } }),
  job("clockrand"),
  job("nbody", { args: ["nbody", "2000"] }),
  job("loop", { limits: { fuel: 300_000 } }),
  job("recurse", { limits: { fuel: 100_000_000 } }),
];

describe("sandbox pool", () => {
  it("gives the same CID over three runs and across two pools", async () => {
    for (const j of deterministicJobs) {
      const cids = [];
      for (let i = 0; i < 3; i++) cids.push((await resultCid(await poolA.run(j))).toString());
      cids.push((await resultCid(await poolB.run(j))).toString());
      expect(new Set(cids).size, j.args[0]).toBe(1);
    }
  });

  it("shares a shared job's bytes with the worker, with the same result as a cloned job", async () => {
    const cloned = job("sha256", { args: ["sha256", "/input/x"], inputs: { x: text("abc") } });
    const shared = shareJob(cloned);
    expect(shared.inputs!.x!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.module.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shareJob(shared).inputs!.x).toBe(shared.inputs!.x); // already shared: no second copy
    const want = (await resultCid(await poolB.run(cloned))).toString();
    for (let i = 0; i < 2; i++) expect((await resultCid(await poolB.run(shared))).toString()).toBe(want);
    expect(str(shared.inputs!.x!)).toBe("abc"); // /input is read-only: the module cannot write through
  });

  it("survives 50 hostile modules run at once, then still runs honest jobs", async () => {
    const hostile: SandboxJob[] = [];
    for (let i = 0; i < 50; i++) {
      const kind = i % 6;
      if (kind === 0) hostile.push(job("loop", { limits: { fuel: 2_000_000 } }));
      else if (kind === 1) hostile.push(job("membomb", { limits: { memoryPages: 128 } }));
      else if (kind === 2) hostile.push(job("flood", { limits: { stdoutBytes: 4096 } }));
      else if (kind === 3) hostile.push(job("recurse", { limits: { fuel: 100_000_000 } }));
      else if (kind === 4) hostile.push(job("traps", { args: ["traps", "oob"] }));
      else hostile.push(job("badimport"));
    }
    const settled = await Promise.allSettled(hostile.map((j) => poolA.run(j)));
    const statuses = settled.map((s) => (s.status === "fulfilled" ? JSON.stringify(s.value.status) : (s.reason as Error).name));
    expect(statuses.filter((s) => s.includes("out_of_fuel")).length).toBe(9);
    expect(statuses.filter((s) => s === '{"kind":"exit","code":3}').length).toBe(9);
    expect(statuses.filter((s) => s.includes('"stdout"')).length).toBe(8);
    expect(statuses.filter((s) => s.includes("stack_overflow")).length).toBe(8);
    expect(statuses.filter((s) => s.includes("memory_out_of_bounds")).length).toBe(8);
    expect(statuses.filter((s) => s === "UnsupportedImportError").length).toBe(8);
    const bad = settled.find((s) => s.status === "rejected") as PromiseRejectedResult;
    expect(bad.reason).toBeInstanceOf(UnsupportedImportError);
    const honest = await poolA.run(job("sha256", { args: ["sha256", "/input/x"], inputs: { x: text("abc") } }));
    expect(str(honest.stdout)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n");
  });

  it("moves large inputs and outputs through files, and leaves none behind", async () => {
    const shm = () => (existsSync("/dev/shm") ? readdirSync("/dev/shm").filter((n) => n.startsWith(`accord-sandbox-${process.pid}-`)) : []);
    const before = shm();
    const pool = createSandboxPool({ size: 1 });
    const input = randomBytes(3 * 1_048_576 + 5); // past FILE_BYTES_MIN, and not a multiple of anything
    const want = `${createHash("sha256").update(input).digest("hex")}\n`;
    try {
      const big = job("sha256", { args: ["sha256", "/input/x"], inputs: { x: input }, limits: { fuel: 2_000_000_000 } });
      for (const j of [big, shareJob(big)]) {
        for (let i = 0; i < 2; i++) expect(str((await pool.run(j)).stdout)).toBe(want);
      }
      const flood = await pool.run(job("flood", { limits: { stdoutBytes: 2 * 1_048_576, fuel: 2_000_000_000 } }));
      expect(flood.status).toEqual({ kind: "limit", limit: "stdout" });
      expect(flood.stdout.length).toBe(2 * 1_048_576);
      const lines = str(flood.stdout).split("\n").slice(0, -1); // the last line is cut at the cap
      expect(lines.every((l, i) => l === `line ${i} of an endless flood`)).toBe(true);
      const dir = shm().filter((n) => !before.includes(n));
      expect(dir).toHaveLength(1);
      expect(readdirSync(`/dev/shm/${dir[0]}`).filter((n) => !n.startsWith("shared-"))).toEqual([]); // per-run files are gone after each run
    } finally {
      await pool.close();
    }
    expect(shm().filter((n) => !before.includes(n))).toEqual([]);
  });

  it("contains a sandbox process that aborts, as V8 does at a heap limit: the job fails, the pool goes on", async () => {
    const others = sandboxProcesses(); // the other pools' processes
    const pool = createSandboxPool({ size: 1 });
    try {
      const running = pool.run(job("loop", { limits: { fuel: Number.MAX_SAFE_INTEGER } }));
      const [pid] = await waitFor(() => sandboxProcesses().filter((p) => !others.includes(p)));
      process.kill(pid!, "SIGABRT");
      const err = await running.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SandboxCrashedError);
      expect((err as Error).message).toContain("SIGABRT");
      expect(process.exitCode ?? 0).toBe(0);
      const after = await pool.run(job("echo", { stdin: text("still here") }));
      expect(str(after.stdout)).toBe("still here");
      expect(sandboxProcesses()).not.toContain(pid);
    } finally {
      await pool.close();
    }
  });

  it("ends a run past the wall-clock backstop with an error, not a result, and recovers", async () => {
    const pool = createSandboxPool({ size: 1 });
    try {
      const hang = pool.run(job("loop", { limits: { fuel: Number.MAX_SAFE_INTEGER, wallClockMs: 300 } }));
      await expect(hang).rejects.toBeInstanceOf(WallClockTimeoutError);
      const after = await pool.run(job("echo", { stdin: text("still here") }));
      expect(str(after.stdout)).toBe("still here");
    } finally {
      await pool.close();
    }
  });

  it("aborts a running job through its signal", async () => {
    const pool = createSandboxPool({ size: 1 });
    try {
      const controller = new AbortController();
      const running = pool.run(job("loop", { limits: { fuel: Number.MAX_SAFE_INTEGER } }), { signal: controller.signal });
      setTimeout(() => controller.abort(new Error("requester cancelled")), 100);
      await expect(running).rejects.toThrow("requester cancelled");
      expect((await pool.run(job("echo"))).status).toEqual({ kind: "exit", code: 0 });
    } finally {
      await pool.close();
    }
  });

  it("bounds the queue and refuses work once closed", async () => {
    const pool = createSandboxPool({ size: 1, maxQueued: 1 });
    const first = pool.run(job("loop", { limits: { fuel: 50_000_000 } }));
    const second = pool.run(job("loop", { limits: { fuel: 1_000 } }));
    await expect(pool.run(job("echo"))).rejects.toBeInstanceOf(SandboxBusyError);
    await Promise.all([first, second]);
    await pool.close();
    await expect(pool.run(job("echo"))).rejects.toBeInstanceOf(SandboxClosedError);
  });
});

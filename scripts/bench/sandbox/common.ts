/** Helpers shared by the parts of `npm run bench:sandbox` (scripts/bench/sandbox.ts). */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { DEFAULT_LIMITS, type SandboxJob, type SandboxLimits } from "../../../client/src/sandbox/index.ts";

export const FIXTURES = new URL("../../../client/fixtures/wasm/", import.meta.url);
export const fixturePath = (file: string) => new URL(file, FIXTURES).pathname;
export const fixture = (name: string) => new Uint8Array(readFileSync(fixturePath(`${name}.wasm`)));

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
export const decode = (b: Uint8Array) => new TextDecoder().decode(b);

export type Row = Record<string, number | string | boolean>;

/** A job for a fixture with the default limits, overridden by `limits`. */
export function makeJob(name: string, args: string[], extra: Partial<SandboxJob> = {}, limits: Partial<SandboxLimits> = {}): SandboxJob {
  return { module: fixture(name), args: [name, ...args], env: {}, seed: new Uint8Array(32), ...extra, limits: { ...DEFAULT_LIMITS, ...limits } };
}

/** Wall ms and CPU ms (process-wide, or this thread's) of one call. */
export async function measure(f: () => Promise<unknown>, thread = false): Promise<[number, number]> {
  const cpu0 = thread ? process.threadCpuUsage() : process.cpuUsage();
  const t = performance.now();
  await f();
  const wall = performance.now() - t;
  const cpu = thread ? process.threadCpuUsage(cpu0) : process.cpuUsage(cpu0);
  return [wall, (cpu.user + cpu.system) / 1000];
}

/** Whether a compiler runs here (`cmd --version`). */
export function have(cmd: string): boolean {
  try {
    execFileSync(cmd, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

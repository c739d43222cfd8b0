/** Test helpers: the committed fixture modules and a job builder. Not part of the public API. */
import { readFileSync } from "node:fs";
import { DEFAULT_LIMITS } from "./constants.ts";
import type { SandboxJob, SandboxLimits } from "./types.ts";

const FIXTURES = new URL("../../fixtures/wasm/", import.meta.url);

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`${name}.wasm`, FIXTURES)));
}

export const text = (s: string) => new TextEncoder().encode(s);
export const str = (b: Uint8Array) => new TextDecoder().decode(b);

export const TEST_LIMITS: SandboxLimits = { ...DEFAULT_LIMITS, fuel: 20_000_000, memoryPages: 64, wallClockMs: 30_000 };

export type JobOverrides = Omit<Partial<SandboxJob>, "limits"> & { limits?: Partial<SandboxLimits> };

export function job(name: string, over: JobOverrides = {}): SandboxJob {
  return {
    module: fixture(name),
    args: [name],
    env: {},
    seed: new Uint8Array(32).fill(7),
    ...over,
    limits: { ...TEST_LIMITS, ...over.limits },
  };
}

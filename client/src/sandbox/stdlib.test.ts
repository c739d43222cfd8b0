/**
 * Standard-library conformance: client/fixtures/wasm/stdlib.c (wasi-libc) and stdlib.rs (Rust
 * std) use files, directories and stdio the way ordinary programs do and print a transcript.
 * build.sh ran each natively in a directory laid out like the sandbox and committed what it
 * printed and left under output/ (NAME.expected); here the wasm runs in the sandbox with the
 * same args, env, stdin and inputs, and must give the same bytes. A difference is a departure
 * of our WASI from what the program sees on Linux.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSandboxPool } from "./pool.ts";
import { job } from "./testing.ts";
import type { ResultBundle } from "./types.ts";

const DIR = new URL("../../fixtures/wasm/", import.meta.url).pathname;
const pool = createSandboxPool({ size: 1 });
afterAll(() => pool.close());

/** Every file under stdlib/input, keyed by its path relative to it. */
function inputs(dir = join(DIR, "stdlib/input"), prefix = ""): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) Object.assign(out, inputs(join(dir, e.name), `${prefix}${e.name}/`));
    else out[prefix + e.name] = new Uint8Array(readFileSync(join(dir, e.name)));
  }
  return out;
}

/** The bundle in build.sh's NAME.expected format. */
function transcript(r: ResultBundle): Buffer {
  const parts: (string | Uint8Array)[] = [`exit ${r.status.kind === "exit" ? r.status.code : JSON.stringify(r.status)}\n`];
  const block = (head: string, bytes: Uint8Array) => parts.push(`${head} ${bytes.length}\n`, bytes, "\n");
  block("stdout", r.stdout);
  block("stderr", r.stderr);
  for (const path of Object.keys(r.files).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) block(`file ${path}`, r.files[path]!);
  return Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
}

describe.each(["stdlib", "stdlib-rs"])("%s conformance", (name) => {
  it("gives the native run's transcript and output files, byte for byte", async () => {
    const r = await pool.run(
      job(name, {
        args: ["stdlib", "", "alpha", "beta gamma", "", "ü"],
        env: { STDLIB_MODE: "conformance" },
        stdin: new Uint8Array(readFileSync(join(DIR, "stdlib/stdin.txt"))),
        inputs: inputs(),
        limits: { fuel: 1_000_000_000, memoryPages: 256 },
      }),
    );
    const want = readFileSync(join(DIR, `${name}.expected`));
    // As text first, so a failure shows a readable diff; then the bytes.
    expect(transcript(r).toString("latin1")).toBe(want.toString("latin1"));
    expect(transcript(r).equals(want)).toBe(true);
  });
});


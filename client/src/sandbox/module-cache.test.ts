/** Instrumented modules kept on disk between sandbox processes (module-cache.ts). */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ModuleCache } from "./module-cache.ts";
import { createSandboxPool } from "./pool.ts";
import { job, str, text } from "./testing.ts";
import { prepareModule } from "./validate.ts";

const dir = mkdtempSync(join(tmpdir(), "accord-module-cache-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("module cache", () => {
  it("gives back what was put, keyed by hash, memory cap and NaN mode", () => {
    const cache = new ModuleCache(join(dir, "unit"));
    const { instrumented } = prepareModule(job("echo").module, { memoryPages: 64 });
    cache.put("ab", 64, "optimistic", instrumented);
    const got = cache.get("ab", 64, "optimistic")!;
    expect(Buffer.from(got.bytes).equals(Buffer.from(instrumented.bytes))).toBe(true);
    expect(got).toMatchObject({ hasStart: instrumented.hasStart, nanChecks: instrumented.nanChecks });
    expect(cache.get("ab", 65, "optimistic")).toBeUndefined();
    expect(cache.get("ab", 64, "exact")).toBeUndefined();
    expect(cache.get("cd", 64, "optimistic")).toBeUndefined();
  });

  it("keeps at most 512 entries, dropping the oldest", () => {
    const cache = new ModuleCache(join(dir, "evict"));
    const entry = { bytes: new Uint8Array([0, 97, 115, 109]), hasStart: false, nanChecks: false };
    for (let i = 0; i < 515; i++) cache.put(`m${String(i).padStart(3, "0")}`, 1, "exact", entry);
    const names = readdirSync(join(dir, "evict"));
    expect(names).toHaveLength(512);
    expect(cache.get("m514", 1, "exact")).toBeDefined();
  });

  it("lets a fresh pool's process reuse another's preparation, and prepares a damaged entry again", async () => {
    const cacheDir = join(dir, "pool");
    const run = async () => {
      const pool = createSandboxPool({ size: 1, cacheDir });
      try {
        return str((await pool.run(job("echo", { stdin: text("cached") }))).stdout);
      } finally {
        await pool.close();
      }
    };
    expect(await run()).toBe("cached");
    const [entry] = readdirSync(cacheDir);
    expect(entry).toMatch(/^[0-9a-f]{64}-64-optimistic-[0-9a-f]{16}\.wasm$/);
    const written = statSync(join(cacheDir, entry!)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await run()).toBe("cached");
    expect(statSync(join(cacheDir, entry!)).mtimeMs).toBe(written); // read, not prepared and written again
    const good = readFileSync(join(cacheDir, entry!));
    writeFileSync(join(cacheDir, entry!), good.subarray(0, good.length >> 1)); // a torn entry
    expect(await run()).toBe("cached");
    expect(readFileSync(join(cacheDir, entry!)).equals(good)).toBe(true);
  });
});

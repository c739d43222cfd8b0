/**
 * Instrumented modules on disk, by the module's hash, memory cap and NaN mode, so a sandbox
 * process that meets a module another process (or an earlier run of the node) prepared skips
 * validating and instrumenting it: for a 30 KiB C module that is 30-100 ms of a cold first
 * run, for a 100 KiB Rust one 50-150 ms.
 *
 * The key also holds a hash of the code that produces the instrumented form, so a changed
 * instrumenter never reads an old entry. An entry that cannot be read or compiled is treated as
 * missing and written again. The folder is bounded: past `MAX_ENTRIES`, the oldest go.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NanMode } from "./instrument.ts";

export type CachedModule = { bytes: Uint8Array; hasStart: boolean; nanChecks: boolean };

const MAX_ENTRIES = 512;
const HAS_START = 1;
const NAN_CHECKS = 2;

/** Hash of every source file that shapes the instrumented bytes (read once per process, ~1 ms). */
function producerHash(): string {
  const h = createHash("sha256");
  const root = fileURLToPath(new URL(".", import.meta.url));
  for (const dir of ["", "instrument", "wasm"]) {
    for (const name of readdirSync(join(root, dir)).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts")).sort()) {
      h.update(`${dir}/${name}\0`).update(readFileSync(join(root, dir, name)));
    }
  }
  return h.digest("hex").slice(0, 16);
}

export class ModuleCache {
  private readonly dir: string;
  private readonly producer = producerHash();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  private path(moduleHash: string, memoryPages: number, nan: NanMode): string {
    return join(this.dir, `${moduleHash}-${memoryPages}-${nan}-${this.producer}.wasm`);
  }

  get(moduleHash: string, memoryPages: number, nan: NanMode): CachedModule | undefined {
    try {
      const file = readFileSync(this.path(moduleHash, memoryPages, nan));
      if (file.length < 2) return undefined;
      return { hasStart: (file[0]! & HAS_START) !== 0, nanChecks: (file[0]! & NAN_CHECKS) !== 0, bytes: new Uint8Array(file.buffer, file.byteOffset + 1, file.length - 1) };
    } catch {
      return undefined;
    }
  }

  /** Best effort: a full disk or a read-only folder costs the next process the preparation, nothing else. */
  put(moduleHash: string, memoryPages: number, nan: NanMode, entry: CachedModule): void {
    const path = this.path(moduleHash, memoryPages, nan);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      const file = new Uint8Array(entry.bytes.length + 1);
      file[0] = (entry.hasStart ? HAS_START : 0) | (entry.nanChecks ? NAN_CHECKS : 0);
      file.set(entry.bytes, 1);
      writeFileSync(tmp, file);
      renameSync(tmp, path); // a reader sees the whole entry or none
      this.evict();
    } catch {
      rmSync(tmp, { force: true });
    }
  }

  invalidate(moduleHash: string, memoryPages: number, nan: NanMode): void {
    rmSync(this.path(moduleHash, memoryPages, nan), { force: true });
  }

  private evict(): void {
    const names = readdirSync(this.dir).filter((n) => n.endsWith(".wasm"));
    if (names.length <= MAX_ENTRIES) return;
    const byAge = names.map((n) => ({ n, t: statSync(join(this.dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0 })).sort((a, b) => a.t - b.t);
    for (const { n } of byAge.slice(0, names.length - MAX_ENTRIES)) rmSync(join(this.dir, n), { force: true });
  }
}

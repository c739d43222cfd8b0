import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { BaseError } from "../../errors.ts";
import type { JobResult } from "../../sandbox/bundle.ts";

export class UnsafeResultPathError extends BaseError {
  override name = "UnsafeResultPathError";
  constructor(path: string) {
    super(`The result names an output file "${path}" that would land outside the output folder.`, {
      fix: "Nothing was written for this file; the other files are in the output folder. Report the module that produced it.",
    });
  }
}

/**
 * Writes a result as files: stdout, stderr, the program's /output files under files/, and
 * result.json (status, fuel, CIDs). Paths are checked to stay inside `dir`.
 */
export async function writeResultFiles(result: JobResult & Record<string, unknown>, dir: string, meta: Record<string, unknown> = {}): Promise<string[]> {
  const root = resolve(dir);
  const written: string[] = [];
  await mkdir(root, { recursive: true });
  const put = async (rel: string, data: Uint8Array | string) => {
    const abs = resolve(root, rel);
    if (!abs.startsWith(root + sep)) throw new UnsafeResultPathError(rel);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, data);
    written.push(abs);
  };
  await put("stdout", result.stdout);
  await put("stderr", result.stderr);
  for (const [path, data] of Object.entries(result.files)) await put(join("files", path), data);
  await put(
    "result.json",
    JSON.stringify({ ...meta, status: result.status, exitCode: result.exitCode ?? null, fuelUsed: result.fuelUsed, files: Object.keys(result.files).sort() }, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n",
  );
  return written;
}

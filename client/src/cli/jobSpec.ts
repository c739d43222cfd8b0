import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import type { JobSpec } from "../actions/internal/jobContent.ts";
import { inputPathProblem } from "../manifest/schema.ts";
import { CliConfigError } from "./errors.ts";

/** Flags that describe the job itself (shared by `job submit` and `job dry-run`). */
export type JobSpecFlags = {
  input?: string[];
  stdin?: string;
  env?: string[];
  fuel?: string;
  memoryPages?: string;
  wallClockMs?: string;
  nonce?: string;
};

async function readUserFile(path: string, what: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a regular file");
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new CliConfigError(`Cannot read ${what} ${path}: ${(err as Error).message}.`, "Check the path; it must be a readable regular file.", err);
  }
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || value.trim() === "") throw new CliConfigError(`${flag} "${value}" is not a whole number.`, `Pass ${flag} as digits, e.g. ${flag} 3.`);
  return n;
}

/**
 * Reads the module and inputs named on the command line. `--input data.csv` mounts the file as
 * /input/data.csv; `--input name=path` mounts it as /input/name.
 */
export async function jobSpecFromFlags(modulePath: string, args: string[], flags: JobSpecFlags): Promise<JobSpec> {
  const module = await readUserFile(modulePath, "the module");
  const inputs: Record<string, Uint8Array> = {};
  for (const spec of flags.input ?? []) {
    const eq = spec.indexOf("=");
    const [name, path] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [basename(spec), spec];
    const problem = inputPathProblem(name);
    if (problem) throw new CliConfigError(`Input name "${name}" ${problem}.`, "Name inputs relative to /input, e.g. --input data/points.csv=./points.csv.");
    if (inputs[name]) throw new CliConfigError(`Two inputs are named "${name}".`, "Give one of them another name with --input name=path.");
    inputs[name] = await readUserFile(path, "the input");
  }
  const env: Record<string, string> = {};
  for (const kv of flags.env ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new CliConfigError(`--env "${kv}" is not NAME=value.`, "Pass environment variables as --env NAME=value.");
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const limits: JobSpec["limits"] = {};
  const fuel = positiveInt(flags.fuel, "--fuel");
  const memoryPages = positiveInt(flags.memoryPages, "--memory-pages");
  const wallClockMs = positiveInt(flags.wallClockMs, "--wall-clock-ms");
  if (fuel !== undefined) limits.fuel = fuel;
  if (memoryPages !== undefined) limits.memoryPages = memoryPages;
  if (wallClockMs !== undefined) limits.wallClockMs = wallClockMs;
  return {
    module,
    inputs,
    stdin: flags.stdin ? await readUserFile(flags.stdin, "stdin") : undefined,
    args: [basename(modulePath), ...args],
    env,
    limits,
    nonce: flags.nonce,
  };
}

import { z } from "zod";
import { parseCid } from "../content/cid.ts";
import { isWellFormed } from "./canonical.ts";
import * as C from "./constants.ts";

const RAW_CODEC = 0x55;
const DAG_PB_CODEC = 0x70;
const utf8Length = (s: string) => Buffer.byteLength(s, "utf8");

/** Strings reach the sandbox as C strings and canonical JSON: no NUL, well-formed Unicode. */
const text = (what: string) =>
  z
    .string({ error: `must be a string (${what})` })
    .refine((s) => isWellFormed(s), { error: "must be well-formed Unicode (it holds a lone surrogate)" })
    .refine((s) => !s.includes("\0"), { error: "must not contain a NUL character" });

/**
 * A CID in the one spelling that keeps manifests canonical: CIDv1, sha2-256, base32, and a
 * UnixFS codec (raw or dag-pb) so it names bytes the content layer can fetch and verify.
 */
const cidString = (what: string) =>
  z.string({ error: `must be a CID string (${what})` }).superRefine((s, ctx) => {
    let cid;
    try {
      cid = parseCid(s);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: `must be a CIDv1 with sha2-256 (${(err as { shortMessage?: string }).shortMessage ?? err})` });
      return;
    }
    if (cid.code !== RAW_CODEC && cid.code !== DAG_PB_CODEC)
      ctx.addIssue({ code: "custom", message: `must be a UnixFS CID (raw or dag-pb codec), not codec 0x${cid.code.toString(16)}` });
    else if (cid.toString() !== s)
      ctx.addIssue({ code: "custom", message: `must be written in base32 lowercase as ${cid.toString()}` });
  });

const bounded = (min: number, max: number, unit: string) =>
  z
    .number({ error: `must be a number (${unit})` })
    .refine((n) => Number.isSafeInteger(n), { error: `must be an integer number of ${unit}`, abort: true })
    .refine((n) => n >= min && n <= max, { error: `must be between ${min} and ${max} ${unit}` });

/** Why an /input path is refused, or undefined when it is fine. */
export function inputPathProblem(path: string): string | undefined {
  if (path.length === 0) return "must not be empty";
  if (!isWellFormed(path)) return "must be well-formed Unicode";
  if (utf8Length(path) > C.MAX_INPUT_PATH_BYTES) return `must be at most ${C.MAX_INPUT_PATH_BYTES} bytes`;
  if (path.startsWith("/")) return "must be relative to /input (no leading '/')";
  if (path.includes("\0")) return "must not contain a NUL character";
  if (path.includes("\\")) return "must use '/' as separator (no '\\')";
  for (const seg of path.split("/")) {
    if (seg === "") return "must not have empty segments ('//' or a trailing '/')";
    if (seg === "..") return "must not contain '..'";
    if (seg === ".") return "must not contain '.' segments";
  }
  return undefined;
}

const inputs = z
  .record(z.string(), cidString("the content of the input file"), { error: "must be an object mapping paths under /input to CIDs" })
  .superRefine((rec, ctx) => {
    const paths = Object.keys(rec);
    if (paths.length > C.MAX_INPUT_FILES_COUNT)
      ctx.addIssue({ code: "custom", message: `must hold at most ${C.MAX_INPUT_FILES_COUNT} files, not ${paths.length}` });
    const files = new Set(paths);
    for (const p of paths) {
      const problem = inputPathProblem(p);
      if (problem) {
        ctx.addIssue({ code: "custom", path: [p], message: `path ${problem}` });
        continue;
      }
      // "a" as a file and "a/b" below it cannot both be mounted.
      const segs = p.split("/");
      for (let i = 1; i < segs.length; i++) {
        const parent = segs.slice(0, i).join("/");
        if (files.has(parent)) ctx.addIssue({ code: "custom", path: [p], message: `path lies under "${parent}", which is a file` });
      }
    }
  });

const env = z
  .record(z.string(), text("an environment value"), { error: "must be an object mapping names to strings" })
  .superRefine((rec, ctx) => {
    const names = Object.keys(rec);
    if (names.length > C.MAX_ENV_COUNT) ctx.addIssue({ code: "custom", message: `must hold at most ${C.MAX_ENV_COUNT} variables` });
    for (const name of names) {
      if (name === "" || name.includes("=") || name.includes("\0") || !isWellFormed(name))
        ctx.addIssue({ code: "custom", path: [name], message: "name must be non-empty, without '=' or NUL" });
    }
  });

export const limitsSchema = z.strictObject(
  {
    fuel: bounded(1, C.MAX_FUEL, "fuel units"),
    memoryPages: bounded(1, C.MAX_MEMORY_PAGES, "64 KiB pages"),
    stdoutBytes: bounded(0, C.MAX_STDOUT_BYTES_LIMIT, "bytes"),
    stderrBytes: bounded(0, C.MAX_STDERR_BYTES_LIMIT, "bytes"),
    outputFiles: bounded(0, C.MAX_OUTPUT_FILES_LIMIT, "files"),
    outputBytes: bounded(0, C.MAX_OUTPUT_BYTES_LIMIT, "bytes"),
    wallClockMs: bounded(1, C.MAX_WALL_CLOCK_MS_LIMIT, "milliseconds"),
  },
  { error: "must be an object with fuel, memoryPages, stdoutBytes, stderrBytes, outputFiles, outputBytes, wallClockMs" },
);

export const manifestSchema = z.strictObject(
  {
    version: z.literal(C.MANIFEST_VERSION, { error: `must be ${C.MANIFEST_VERSION}` }),
    runtime: z.literal(C.MANIFEST_RUNTIME, { error: `must be "${C.MANIFEST_RUNTIME}"` }),
    module: cidString("the WebAssembly module"),
    args: z
      .array(text("a program argument"), { error: "must be an array of strings" })
      .max(C.MAX_ARGS_COUNT, { error: `must hold at most ${C.MAX_ARGS_COUNT} arguments` }),
    env,
    stdin: cidString("the bytes read from stdin").optional(),
    inputs,
    limits: limitsSchema,
    resultPublicKey: z
      .string({ error: "must be a hex string" })
      .regex(/^0x[0-9a-f]{64}$/, { error: "must be a 32-byte x25519 public key as 0x followed by 64 lowercase hex digits" }),
    nonce: text("the randomness nonce")
      .refine((s) => utf8Length(s) <= C.MAX_NONCE_BYTES, { error: `must be at most ${C.MAX_NONCE_BYTES} bytes` })
      .optional(),
  },
  { error: "must be a JSON object" },
);

/** A job manifest: what a provider runs and under which limits (docs/PROTOCOL.md, ## Manifest). */
export type Manifest = z.infer<typeof manifestSchema>;
/** The sandbox limits a manifest sets; names match the sandbox's SandboxLimits. */
export type ManifestLimits = z.infer<typeof limitsSchema>;

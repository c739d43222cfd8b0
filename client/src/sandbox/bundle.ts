/**
 * The result bundle's one canonical encoding: DAG-CBOR (deterministic CBOR: shortest integers,
 * map keys sorted length-first then bytewise, no floats, no indefinite lengths) of
 *
 *   { v: SANDBOX_ABI_VERSION, status: { kind, code | trap | limit }, fuelUsed, stdout, stderr,
 *     files: { "<path relative to /output>": bytes } }
 *
 * and its CID is the content layer's CID of those bytes (cidOfBytes), so every honest provider
 * commits to the same digest. Requesters get a decoded bundle as a JobResult (jobResultOf), from a
 * dry run or from a provider once opened and verified.
 */
import * as dagCbor from "@ipld/dag-cbor";
import type { CID } from "multiformats/cid";
import { cidOfBytes } from "../content/cid.ts";
import { SANDBOX_ABI_VERSION } from "./constants.ts";
import { InvalidResultBundleError } from "./errors.ts";
import { LIMIT_KINDS, type ResultBundle, type ResultStatus, TRAP_KINDS } from "./types.ts";

export function encodeResultBundle(bundle: ResultBundle): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [path, data] of Object.entries(bundle.files)) files[path] = data;
  return dagCbor.encode({
    v: SANDBOX_ABI_VERSION,
    status: bundle.status,
    fuelUsed: bundle.fuelUsed,
    stdout: bundle.stdout,
    stderr: bundle.stderr,
    files,
  });
}

/** Decodes and checks a bundle; refuses anything that is not exactly the canonical encoding. */
export function decodeResultBundle(bytes: Uint8Array): ResultBundle {
  let raw: unknown;
  try {
    raw = dagCbor.decode(bytes);
  } catch (err) {
    throw new InvalidResultBundleError("it is not DAG-CBOR", err);
  }
  const o = raw as Record<string, unknown>;
  if (typeof o !== "object" || o === null) throw new InvalidResultBundleError("it is not a map");
  if (o.v !== SANDBOX_ABI_VERSION) throw new InvalidResultBundleError(`its version is ${String(o.v)}, not ${SANDBOX_ABI_VERSION}`);
  const keys = Object.keys(o).sort().join(",");
  if (keys !== "files,fuelUsed,status,stderr,stdout,v") throw new InvalidResultBundleError(`it has the fields ${keys}`);
  if (!Number.isSafeInteger(o.fuelUsed) || (o.fuelUsed as number) < 0) throw new InvalidResultBundleError("fuelUsed is not a non-negative integer");
  if (!(o.stdout instanceof Uint8Array) || !(o.stderr instanceof Uint8Array)) throw new InvalidResultBundleError("stdout or stderr is not bytes");
  const files = o.files as Record<string, unknown>;
  if (typeof files !== "object" || files === null) throw new InvalidResultBundleError("files is not a map");
  for (const [path, data] of Object.entries(files)) if (!(data instanceof Uint8Array)) throw new InvalidResultBundleError(`file "${path}" is not bytes`);
  const bundle: ResultBundle = {
    status: checkStatus(o.status),
    fuelUsed: o.fuelUsed as number,
    stdout: o.stdout,
    stderr: o.stderr,
    files: files as Record<string, Uint8Array>,
  };
  const again = encodeResultBundle(bundle);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) throw new InvalidResultBundleError("it is not in canonical form");
  return bundle;
}

function checkStatus(s: unknown): ResultStatus {
  const o = s as Record<string, unknown>;
  if (typeof o !== "object" || o === null) throw new InvalidResultBundleError("status is not a map");
  const keys = Object.keys(o).sort().join(",");
  if (o.kind === "exit" && keys === "code,kind" && Number.isSafeInteger(o.code) && (o.code as number) >= 0 && (o.code as number) <= 0xffffffff) return { kind: "exit", code: o.code as number };
  if (o.kind === "trap" && keys === "kind,trap" && (TRAP_KINDS as readonly unknown[]).includes(o.trap)) return { kind: "trap", trap: o.trap as ResultStatus & { kind: "trap" } extends { trap: infer T } ? T : never };
  if (o.kind === "limit" && keys === "kind,limit" && (LIMIT_KINDS as readonly unknown[]).includes(o.limit)) return { kind: "limit", limit: o.limit as (ResultStatus & { kind: "limit" })["limit"] };
  throw new InvalidResultBundleError(`status ${JSON.stringify(o)} is not an exit, trap or limit`);
}

/** The CID every provider commits to: the content layer's CID of the canonical encoding. */
export function resultCid(bundle: ResultBundle): Promise<CID> {
  return cidOfBytes(encodeResultBundle(bundle));
}

/** What a run of a job gave, as dryRun and waitForResult hand it back. */
export type JobResult = {
  status: ResultStatus;
  /** The process exit code, or undefined when the run ended in a trap or hit an output limit. */
  exitCode: number | undefined;
  fuelUsed: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Files the program wrote under /output, by path relative to it. */
  files: Record<string, Uint8Array>;
};

/** The result of a run from its bundle: a local dry run's, or a provider's once opened and verified. */
export function jobResultOf(bundle: ResultBundle): JobResult {
  return {
    status: bundle.status,
    exitCode: bundle.status.kind === "exit" ? bundle.status.code : undefined,
    fuelUsed: bundle.fuelUsed,
    stdout: bundle.stdout,
    stderr: bundle.stderr,
    files: bundle.files,
  };
}

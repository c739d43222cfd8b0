import type { CID } from "multiformats/cid";
import { parseCid } from "../content/cid.ts";
import { manifestSeed, type Manifest } from "../manifest/index.ts";
import type { SandboxJob } from "../sandbox/types.ts";

/** Fetches the bytes behind a CID, verified against it, refusing more than `maxBytes`. */
export type FetchBytes = (cid: CID, options: { signal?: AbortSignal; maxBytes?: number }) => Promise<Uint8Array>;

export type LoadSandboxJobOptions = {
  signal?: AbortSignal;
  /** Refuse a module larger than this. */
  maxModuleBytes?: number;
  /** Refuse stdin plus input files larger than this in total. */
  maxInputBytes?: number;
};

/**
 * The one mapping from a manifest to a sandbox job. Providers run what it returns and a
 * requester's dry run does too, so both get the same result CID: the seed comes from the
 * manifest's CID (docs/PROTOCOL.md, "## Manifest"), args and env go through unchanged.
 */
export async function loadSandboxJob(
  manifest: Manifest,
  manifestCid: CID,
  fetch: FetchBytes,
  options: LoadSandboxJobOptions = {},
): Promise<SandboxJob> {
  const { signal } = options;
  let inputBudget = options.maxInputBytes ?? Number.POSITIVE_INFINITY;
  const take = async (cid: string) => {
    const bytes = await fetch(parseCid(cid), { signal, maxBytes: Number.isFinite(inputBudget) ? inputBudget : undefined });
    inputBudget -= bytes.length;
    return bytes;
  };

  const module = await fetch(parseCid(manifest.module), { signal, maxBytes: options.maxModuleBytes });
  const stdin = manifest.stdin ? await take(manifest.stdin) : undefined;
  const inputs: Record<string, Uint8Array> = {};
  for (const path of Object.keys(manifest.inputs).sort()) inputs[path] = await take(manifest.inputs[path]!);

  return {
    module,
    args: [...manifest.args],
    env: { ...manifest.env },
    stdin,
    inputs,
    limits: { ...manifest.limits },
    seed: manifestSeed(manifestCid),
  };
}

import type { ImportCandidate } from "ipfs-unixfs-importer";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { InvalidContentPathError } from "./errors.ts";

/** The importer takes no signal, so the source checks it between chunks. */
export async function* abortable<T>(source: AsyncIterable<T> | Iterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  for await (const item of source) {
    signal?.throwIfAborted();
    yield item;
  }
}

/**
 * The files under `root` as the importer takes them, in name order (so a directory's CID
 * does not depend on the order the filesystem lists it), with empty directories kept.
 */
export async function* walk(root: string, dir = root): AsyncGenerator<ImportCandidate> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (dir !== root && entries.length === 0) yield { path: relative(root, dir).split(sep).join("/") };
  for (const e of entries) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) yield* walk(root, abs);
    else if (e.isFile()) yield { path: relative(root, abs).split(sep).join("/"), content: createReadStream(abs, { highWaterMark: 1024 * 1024 }) };
    else throw new InvalidContentPathError(abs, "only regular files and directories can be added");
  }
}

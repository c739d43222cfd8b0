import { createAccordNode, type AccordNode } from "@accord/client/net";
import { decodeManifest } from "@accord/client/manifest";
import { parseCid } from "@accord/client/content";
import { resolve } from "node:path";
import { parseRunNonce } from "../runs.ts";
import { market } from "./market.ts";

/** Retries of a DHT announcement: the routing table may still be empty right after start. */
const PROVIDE_ATTEMPTS = 5;
const PROVIDE_RETRY_MS = 2_000;
/** A manifest is read for the market stats (its fuel limit) only if it arrives this fast. */
const MANIFEST_READ_TIMEOUT_MS = 5_000;
/**
 * A manifest nobody served is asked for again this much later, this many times in all: a run's
 * jobs are found by their manifests' nonces, and one read that came too early (the requester's
 * node not yet dialled) must not leave a task out of its run's page for the life of the server.
 */
const MANIFEST_RETRY_MS = 10_000;
const MANIFEST_READS = 3;

const g = globalThis as unknown as { __accordNode?: Promise<AccordNode> };

/**
 * The web server's embedded content node: it pins what the browser uploads and serves it to
 * providers over bitswap, so a requester needs no IPFS node of its own. It joins the network
 * through the providers registered on-chain.
 */
export function contentNode(): Promise<AccordNode> {
  g.__accordNode ??= (async () => {
    const m = await market();
    const node = await createAccordNode({
      dataDir: resolve(m.ctx.config.dataDir),
      listen: m.ctx.config.listen,
      // The indexer already follows the registry: its copy saves the node a log read of its own.
      providerRegistry: async () => [...m.index.registry.values()],
    });
    const stop = () => void node.stop().catch(() => {});
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    return node;
  })().catch((err) => {
    g.__accordNode = undefined;
    throw err;
  });
  return g.__accordNode;
}

/** Announces a CID in the background, retrying while the DHT has no one to tell. */
export function announce(node: AccordNode, cid: ReturnType<typeof parseCid>): void {
  void (async () => {
    for (let i = 0; i < PROVIDE_ATTEMPTS; i++) {
      try {
        await node.content.provide(cid);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, PROVIDE_RETRY_MS));
      }
    }
  })();
}

/**
 * Reads the manifests the index does not know yet: their fuel limits (for price per fuel) and
 * nonces (which run a job belongs to). Callers while a read is under way wait for that read: a
 * page rendered on the server starts one and the browser's refetch right after must see its
 * outcome, not an empty "nothing pending".
 */
export function fillManifestFuel(): Promise<void> {
  const f = globalThis as unknown as { __accordFuelFill?: Promise<void> };
  f.__accordFuelFill ??= readManifestFuel().finally(() => (f.__accordFuelFill = undefined));
  return f.__accordFuelFill;
}

/**
 * How long an answer that shows runs waits for manifests still being read: a job posted a moment
 * ago joins its run once its manifest is read, and a later block's refetch shows one that took longer.
 */
export const RUN_MANIFEST_WAIT_MS = 1_500;

/** Starts reading the manifests of new jobs (their nonces name their runs) and waits for it a little. */
export async function readNewManifests(waitMs = RUN_MANIFEST_WAIT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([fillManifestFuel().catch(() => {}), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
}

async function readManifestFuel(): Promise<void> {
  const m = await market();
  const now = Date.now();
  const pending = [...m.index.jobs.values()].filter((j) => j.fuel === undefined && (!j.fuelTried || (j.manifestRetryAt !== undefined && now >= j.manifestRetryAt)));
  if (!pending.length) return;
  const node = await contentNode();
  await Promise.all(
    pending.map(async (job) => {
      job.fuelTried = true;
      job.manifestRetryAt = undefined;
      let bytes: Uint8Array;
      try {
        bytes = await node.content.getBytes(parseCid(job.history.manifestCid), { timeoutMs: MANIFEST_READ_TIMEOUT_MS, maxBytes: 256 * 1024 });
      } catch (err) {
        job.manifestMisses = (job.manifestMisses ?? 0) + 1;
        if (job.manifestMisses < MANIFEST_READS) {
          job.manifestRetryAt = Date.now() + MANIFEST_RETRY_MS;
          return;
        }
        console.warn(`accord-web: job ${job.history.jobId} is left out of the price statistics and of any run: nobody served its manifest ${job.history.manifestCid} in ${MANIFEST_READS} tries (${(err as Error).message.split("\n")[0]})`);
        return;
      }
      try {
        const manifest = decodeManifest(bytes);
        job.fuel = manifest.limits.fuel;
        job.run = parseRunNonce(manifest.nonce);
      } catch (err) {
        // An invalid manifest just leaves the job out of the price statistics; the log says which,
        // since a failure of this server's own (not the network's) hides the same way.
        console.warn(`accord-web: job ${job.history.jobId} is left out of the price statistics: its manifest ${job.history.manifestCid} could not be read (${(err as Error).message.split("\n")[0]})`);
      }
    }),
  );
}

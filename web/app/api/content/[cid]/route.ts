import { parseCid } from "@accord/client/content";
import { dialableProviders } from "@accord/client/chain";
import { appConfig } from "@/lib/config.ts";
import { contentNode } from "@/lib/server/content.ts";
import { BadRequestError, route } from "@/lib/server/http.ts";
import { readyMarket } from "@/lib/server/market.ts";

export const dynamic = "force-dynamic";

/** No block for this long: the providers that hold it are gone. */
const FETCH_IDLE_TIMEOUT_MS = 20_000;

/**
 * Streams content from the network through the server's node: how the browser gets a sealed
 * result without a node of its own. With ?job=<id>, the providers that revealed this CID for
 * that job are asked first. The bytes are verified block by block against the CID here, and the
 * browser checks the decrypted result against the on-chain consensus digest.
 */
export const GET = route(async (req: Request, ctx: { params: Promise<{ cid: string }> }) => {
  const { cid: text } = await ctx.params;
  let cid;
  try {
    cid = parseCid(text);
  } catch (err) {
    throw new BadRequestError((err as { shortMessage?: string }).shortMessage ?? `"${text}" is not a CID.`, "Use the CID shown on the job page.");
  }
  const jobParam = new URL(req.url).searchParams.get("job");
  const from: string[] = [];
  if (jobParam && /^\d{1,78}$/.test(jobParam)) {
    const m = await readyMarket();
    const job = m.index.jobs.get(BigInt(jobParam));
    const revealers = (job?.history.awarded ?? []).filter((r) => r.sealedResultCid === text).map((r) => m.index.registry.get(r.provider));
    from.push(...dialableProviders(revealers.filter((p) => p !== undefined)));
  }
  const node = await contentNode();
  const max = appConfig().maxDownloadBytes;
  const chunks = node.content.cat(cid, { from: from.length ? from : undefined, timeoutMs: FETCH_IDLE_TIMEOUT_MS });
  // Read the first chunk before answering, so "not found" is an error status, not a broken download.
  const first = await chunks.next();
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      if (!first.done) {
        sent += first.value.length;
        controller.enqueue(first.value);
      }
    },
    async pull(controller) {
      if (first.done) return controller.close();
      const next = await chunks.next();
      if (next.done) return controller.close();
      sent += next.value.length;
      if (sent > max) return controller.error(new Error(`content exceeds ${max} bytes`));
      controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return new Response(stream, { headers: { "content-type": "application/octet-stream", "cache-control": "public, max-age=31536000, immutable" } });
});

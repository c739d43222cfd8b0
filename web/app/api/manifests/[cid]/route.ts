import { parseCid } from "@accord/client/content";
import { decodeManifest, MAX_MANIFEST_BYTES } from "@accord/client/manifest";
import { contentNode } from "@/lib/server/content.ts";
import { BadRequestError, json, route } from "@/lib/server/http.ts";
import type { ManifestAnswer } from "@/lib/manifest-answer.ts";

export const dynamic = "force-dynamic";

/** As long as a provider waits for a manifest before it declines the job. */
const MANIFEST_FETCH_TIMEOUT_MS = 10_000;

/**
 * A job's manifest, fetched through the server's node (which checks its blocks against the CID)
 * and parsed as a provider parses it. One nobody serves any more, or that no provider would
 * accept, is an answer about the job, not a failed request: 200 with the reason, so the job page
 * says what happened instead of the browser logging a failed load.
 */
export const GET = route(async (_req: Request, ctx: { params: Promise<{ cid: string }> }) => {
  const { cid: text } = await ctx.params;
  let cid;
  try {
    cid = parseCid(text);
  } catch (err) {
    throw new BadRequestError((err as { shortMessage?: string }).shortMessage ?? `"${text}" is not a CID.`, "Use the manifest CID shown on the job page.");
  }
  let bytes: Uint8Array;
  try {
    bytes = await (await contentNode()).content.getBytes(cid, { timeoutMs: MANIFEST_FETCH_TIMEOUT_MS, maxBytes: MAX_MANIFEST_BYTES });
  } catch (err) {
    return json({
      available: false,
      reason: `No one served the manifest within ${MANIFEST_FETCH_TIMEOUT_MS / 1000} s (${(err as Error).message.split("\n")[0]}).`,
      fix: "Whoever posted the job serves it (this server, for a job posted here; the requester's node, for one posted with the CLI). Once nobody does, only its CID remains.",
    } satisfies ManifestAnswer);
  }
  try {
    return json({ available: true, manifest: decodeManifest(bytes) } satisfies ManifestAnswer, { headers: { "cache-control": "public, max-age=31536000, immutable" } });
  } catch (err) {
    return json({ available: false, reason: `The manifest is not one a provider accepts: ${(err as Error).message}`, fix: "No provider runs this job; post it again with a manifest built by the form or the CLI." } satisfies ManifestAnswer);
  }
});

import { readNewManifests } from "@/lib/server/content.ts";
import { BadRequestError, json, route } from "@/lib/server/http.ts";
import { readyMarket } from "@/lib/server/market.ts";
import { runDetail } from "@/lib/server/runs.ts";
import { RUN_ID } from "@/lib/runs.ts";

export const dynamic = "force-dynamic";

/** A run's grid: every task the chain has seen posted with this run id, at its latest attempt. */
export const GET = route(async (_req: Request, ctx: { params: Promise<{ runId: string }> }) => {
  const { runId } = await ctx.params;
  if (!RUN_ID.test(runId)) throw new BadRequestError(`"${runId}" is not a run id.`, "Use the run id `accord run` prints (16 hex digits), or open the run from one of its jobs' pages.");
  const m = await readyMarket();
  await readNewManifests();
  const run = runDetail(m.index, runId);
  if (!run)
    throw new BadRequestError(
      `No job this server has read belongs to run ${runId}.`,
      "A run's jobs are found by their manifests: wait for the first post to be mined, and for the requester's node (which serves the manifests) to be reachable, then reload.",
      404,
    );
  return json(run);
});

import { jobDeclines } from "@/lib/server/declines.ts";
import { BadRequestError, json, route } from "@/lib/server/http.ts";
import { readyMarket } from "@/lib/server/market.ts";
import type { JobDeclines } from "@/lib/types.ts";

export const dynamic = "force-dynamic";

/** Why the providers that have not bid for an open job have not, each in its own words. */
export const GET = route(async (_req: Request, ctx: { params: Promise<{ id: string }> }) => {
  const { id } = await ctx.params;
  if (!/^\d{1,78}$/.test(id)) throw new BadRequestError(`"${id}" is not a job id.`, "Job ids are decimal numbers; open the job from the market or My jobs.");
  const m = await readyMarket();
  const job = m.index.jobs.get(BigInt(id));
  if (!job) throw new BadRequestError(`No job ${id} was ever posted on this market.`, "Check the link, or find the job on the market page.", 404);
  // A page a block behind may still ask after the award or cancel: nobody is asked then.
  if (job.history.state !== "Open" && job.history.state !== "None") return json({ jobId: id, askedAt: Math.floor(Date.now() / 1000), open: false, answers: [] } satisfies JobDeclines);
  return json(await jobDeclines(job));
});

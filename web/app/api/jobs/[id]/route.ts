import { BadRequestError, json, route } from "@/lib/server/http.ts";
import { INDEX_CATCH_UP_MS, jobDetail, readyMarket } from "@/lib/server/market.ts";

export const dynamic = "force-dynamic";

export const GET = route(async (_req: Request, ctx: { params: Promise<{ id: string }> }) => {
  const { id } = await ctx.params;
  if (!/^\d{1,78}$/.test(id)) throw new BadRequestError(`"${id}" is not a job id.`, "Job ids are decimal numbers; open the job from the market or My jobs.");
  const m = await readyMarket();
  let job = m.index.jobs.get(BigInt(id));
  if (!job) {
    // A job posted a moment ago (the post form navigates here at once) may be in a block the
    // index has not read yet: wait for it to reach the chain's head before saying "no such job".
    const head = await m.ctx.client.getBlockNumber({ cacheTime: 0 });
    await m.index.caughtUpTo(head, INDEX_CATCH_UP_MS);
    job = m.index.jobs.get(BigInt(id));
  }
  if (!job) throw new BadRequestError(`No job ${id} was ever posted on this market.`, "Check the link, or find the job on the market page.", 404);
  return json(jobDetail(job, m.index.chainTime));
});

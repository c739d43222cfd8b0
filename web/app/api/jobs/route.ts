import { parseJobQuery } from "@/lib/job-query.ts";
import { BadRequestError, json, route } from "@/lib/server/http.ts";
import { jobsPage, readyMarket } from "@/lib/server/market.ts";

export const dynamic = "force-dynamic";

/** Every job the index knows, newest first: `?state=&requester=&provider=&page=&per=` as on /jobs. */
export const GET = route(async (req: Request) => {
  const { query, problems } = parseJobQuery(new URL(req.url).searchParams);
  if (problems.length) throw new BadRequestError(problems.join(" "), "Fix the filter named above, or open /jobs without filters.");
  return json(jobsPage(await readyMarket(), query));
});

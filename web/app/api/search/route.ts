import { json, route } from "@/lib/server/http.ts";
import { readyMarket } from "@/lib/server/market.ts";
import { searchMarket, searchTarget } from "@/lib/server/search.ts";

export const dynamic = "force-dynamic";

/** The search box's answer as JSON: every page the query names, and where the box would go. */
export const GET = route(async (req: Request) => {
  const result = await searchMarket(await readyMarket(), new URL(req.url).searchParams.get("q") ?? "");
  return json({ ...result, target: searchTarget(result) });
});

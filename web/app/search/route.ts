import { readyMarket } from "@/lib/server/market.ts";
import { searchMarket, searchTarget } from "@/lib/server/search.ts";

export const dynamic = "force-dynamic";

/**
 * The header's search box submits here (a plain GET form, so it works before the page's code
 * runs): a query that names one page is a 307 to it, anything else goes to the results page,
 * which lists the matches or says what was looked for.
 */
export async function GET(req: Request) {
  const query = new URL(req.url).searchParams.get("q") ?? "";
  let target = `/search/results?q=${encodeURIComponent(query.trim())}`;
  try {
    target = searchTarget(await searchMarket(await readyMarket(), query));
  } catch {
    // The results page says why the index could not answer.
  }
  // A relative Location: behind `next start` req.url names localhost, not the host the browser used.
  return new Response(null, { status: 307, headers: { location: target, "cache-control": "no-store" } });
}

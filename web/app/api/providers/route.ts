import { json, route } from "@/lib/server/http.ts";
import { providerRows, readyMarket } from "@/lib/server/market.ts";

export const dynamic = "force-dynamic";

export const GET = route(async () => json(await providerRows(await readyMarket())));

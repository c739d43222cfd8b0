import { fillManifestFuel } from "@/lib/server/content.ts";
import { json, route } from "@/lib/server/http.ts";
import { marketSnapshot, readyMarket } from "@/lib/server/market.ts";

export const dynamic = "force-dynamic";

export const GET = route(async () => {
  const m = await readyMarket();
  void fillManifestFuel().catch(() => {});
  return json(await marketSnapshot(m));
});

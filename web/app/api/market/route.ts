import { fillManifestFuel } from "@/lib/server/content.ts";
import { json, route } from "@/lib/server/http.ts";
import { marketSnapshot, readyMarket } from "@/lib/server/market.ts";

export const dynamic = "force-dynamic";

const MANIFEST_WAIT_MS = 1_500;

export const GET = route(async () => {
  const m = await readyMarket();
  // Manifests posted through this server are local and read at once; others may take the
  // network's time, so the answer does not wait for them (a later block's refetch shows them).
  await Promise.race([fillManifestFuel().catch(() => {}), new Promise((r) => setTimeout(r, MANIFEST_WAIT_MS))]);
  return json(await marketSnapshot(m));
});

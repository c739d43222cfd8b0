import { initialMarket } from "@/lib/server/initial.ts";
import { MarketView } from "./market-view.tsx";

export const dynamic = "force-dynamic";

/** Rendered with the market's data, so the first paint has it (lib/server/initial.ts). */
export default async function MarketPage() {
  return <MarketView initial={await initialMarket()} />;
}

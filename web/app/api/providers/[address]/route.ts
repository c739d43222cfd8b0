import { isAddress } from "viem";
import { BadRequestError, json, route } from "@/lib/server/http.ts";
import { providerDetail, readyMarket } from "@/lib/server/market.ts";

export const dynamic = "force-dynamic";

export const GET = route(async (_req: Request, ctx: { params: Promise<{ address: string }> }) => {
  const { address } = await ctx.params;
  if (!isAddress(address, { strict: false })) throw new BadRequestError(`"${address}" is not an address.`, "Use a 0x-prefixed 20-byte address, as the providers list shows it.");
  const detail = await providerDetail(await readyMarket(), address);
  if (!detail) throw new BadRequestError(`${address} never registered as a provider.`, "Pick a provider from the leaderboard.", 404);
  return json(detail);
});

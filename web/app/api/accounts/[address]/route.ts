import { isAddress } from "viem";
import { readNewManifests } from "@/lib/server/content.ts";
import { BadRequestError, json, route } from "@/lib/server/http.ts";
import { accountSnapshot, readyMarket } from "@/lib/server/market.ts";

export const dynamic = "force-dynamic";

export const GET = route(async (_req: Request, ctx: { params: Promise<{ address: string }> }) => {
  const { address } = await ctx.params;
  if (!isAddress(address, { strict: false })) throw new BadRequestError(`"${address}" is not an address.`, "Connect a wallet, or use a 0x-prefixed 20-byte address.");
  const m = await readyMarket();
  // Its runs are found by its jobs' manifests.
  await readNewManifests();
  return json(await accountSnapshot(m, address));
});

import { createAccordClient, estimateCost, MAX_REPLICAS, MAX_REPUTATION_BPS } from "@accord/client/actions";
import { MAX_MEMORY_PAGES } from "@accord/client/manifest";
import { http } from "viem";
import { serverContext } from "@/lib/server/context.ts";
import { BadRequestError, json, route } from "@/lib/server/http.ts";

export const dynamic = "force-dynamic";

const int = (q: URLSearchParams, name: string, min: number, max: number, fallback?: number): number => {
  const raw = q.get(name);
  if (raw === null || raw === "") {
    if (fallback !== undefined) return fallback;
    throw new BadRequestError(`${name} is missing.`, `Pass ${name} between ${min} and ${max}.`);
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new BadRequestError(`${name} ${raw} is out of range.`, `Pass ${name} between ${min} and ${max}.`);
  return n;
};

/**
 * What a job would cost: the escrow, each provider's quote priced as its bidding policy prices
 * the job (fuel at its on-chain ask, plus memory and the bytes it must fetch), and the price
 * that gets k bids.
 */
export const GET = route(async (req: Request) => {
  const q = new URL(req.url).searchParams;
  const replicas = int(q, "replicas", 1, MAX_REPLICAS);
  // The escalation cap the escrow covers (docs/PROTOCOL.md, "Escalation"); the replicas when absent.
  const maxReplicas = int(q, "maxReplicas", replicas, MAX_REPLICAS, replicas);
  const fuel = int(q, "fuel", 1, Number.MAX_SAFE_INTEGER);
  const minReputation = int(q, "minReputation", 0, MAX_REPUTATION_BPS, 0);
  const memoryPages = int(q, "memoryPages", 1, MAX_MEMORY_PAGES);
  const inputBytes = int(q, "inputBytes", 0, Number.MAX_SAFE_INTEGER, 0);
  const maxPriceRaw = q.get("maxPrice");
  if (maxPriceRaw && !/^\d{1,30}$/.test(maxPriceRaw)) throw new BadRequestError(`maxPrice ${maxPriceRaw} is not an amount.`, "Pass the price in the token's smallest unit.");
  const ctx = await serverContext();
  const client = createAccordClient({ chain: ctx.chain, transport: http(ctx.config.rpcUrl), deployment: ctx.deployment });
  const e = await estimateCost(client, { replicas, maxReplicas, fuel, memoryPages, inputBytes, minReputation, maxPrice: maxPriceRaw ? BigInt(maxPriceRaw) : undefined, signal: req.signal });
  return json({
    maxPrice: e.maxPrice,
    maxReplicas: e.maxReplicas,
    escrow: e.escrow,
    fee: e.fee,
    protocolFeeBps: e.protocolFeeBps,
    clearingPrice: e.clearingPrice,
    expectedCost: e.expectedCost,
    quotes: e.quotes.map((x) => ({ provider: x.provider, price: x.price, score: x.score, breakdown: x.breakdown })),
  });
});

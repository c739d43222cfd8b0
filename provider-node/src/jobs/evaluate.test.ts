// The evaluation of a posted job (evaluate.ts) where it decides without the network: a job whose
// pool closed holding its k bids is declined before the node reads its own record or fetches.
import { afterEach, describe, expect, it } from "vitest";
import type { MarketParameters } from "@accord/client/chain";
import { cidOfBytes } from "@accord/client/content";
import type { NodeReads } from "./job-chain.ts";
import { closeNodes, marketEvent, node, OTHER, T0, unreachable } from "./steps-harness.ts";

afterEach(closeNodes);

const FILL_TIMEOUT = 600;
const POOL_WINDOW = 3;

/** Reads that answer the market's parameters and nothing else: the node's own record is a trap. */
function parametersOnly(): NodeReads {
  const own = unreachable<NodeReads>("the node's own record");
  const market = { collateralRatioBps: 0, fillTimeout: FILL_TIMEOUT, poolWindow: POOL_WINDOW } as MarketParameters;
  return { ownRecord: () => own.ownRecord(), collateralRatioBps: async () => 0, marketParameters: async () => market };
}

/** A 2-replica award-on-fill job posted at T0 (its pool closes at T0 + POOL_WINDOW), live, and `bids` bids by others after it. */
async function postWithBids(n: ReturnType<typeof node>, bids: number) {
  const manifestCid = (await cidOfBytes(new TextEncoder().encode("manifest"))).bytes;
  n.driver.onEvent(
    marketEvent("JobPosted", {
      jobId: 1n, requester: OTHER, manifestCid: `0x${Buffer.from(manifestCid).toString("hex")}`, replicas: 2, quorum: 2, maxPrice: 10n, escrow: 20n,
      bidDeadline: BigInt(T0 + FILL_TIMEOUT), commitWindow: 600, revealWindow: 600, minReputation: 0, awardOnFill: true,
    }),
    true,
  );
  for (let i = 0; i < bids; i++) n.driver.onEvent(marketEvent("BidPlaced", { jobId: 1n, provider: OTHER, price: 5n, collateral: 0n }), true);
  await n.driver.idle();
}

describe("evaluating a posted job", () => {
  it("declines a job whose pool closed with its k bids, reading and fetching nothing", async () => {
    const n = node({ reads: parametersOnly() });
    n.clock.observe(BigInt(T0 + POOL_WINDOW - 1)); // the next block is at the close: a bid sent now lands too late
    await postWithBids(n, 2);
    expect(n.journal.get(1n)).toMatchObject({ phase: "declined", reason: expect.stringContaining("pool closed with its 2 bids") });
    expect(n.lines.filter((l) => Number(l.level) >= 40)).toEqual([]);
    expect(n.market.seen).toEqual([]);
  });

  it("goes on to the node's own record while a bid can still enter the pool: before its close, or short of k bids", async () => {
    const early = node({ reads: parametersOnly() });
    early.clock.observe(BigInt(T0 + POOL_WINDOW - 2)); // the next block can still be before the close
    await postWithBids(early, 2);
    const short = node({ reads: parametersOnly() });
    short.clock.observe(BigInt(T0 + POOL_WINDOW + 10));
    await postWithBids(short, 1); // closed, but one bid short: the next bid is taken (and awards the job)
    for (const n of [early, short]) {
      expect(n.journal.get(1n)!.phase).not.toBe("declined");
      expect(JSON.stringify(n.lines)).toContain("the step under test reached the node's own record.ownRecord");
    }
  });
});

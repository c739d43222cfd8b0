// Every reason a provider can give has words and a next step; the figures come out exact.
import { describe, expect, it } from "vitest";
import type { DeclineReason } from "@accord/client/net";
import { adviceFor, statusLine } from "../lib/client/decline-advice.ts";

const token = { decimals: 6, symbol: "tUSD" };
const job = { maxPrice: "500000", commitWindow: 60 };

describe("what the page tells a requester about a provider's decline", () => {
  it("names the price in full, its parts, and the price to post at", () => {
    const a = adviceFor({ code: "price", message: "", maxPrice: "500000", price: "1000065", breakdown: { fuel: "1000000", memory: "64", input: "1", minPrice: "1" } }, job, token);
    expect(a.why).toBe("It asks 1.000065 tUSD per replica (fuel 1 tUSD + memory 0.000064 tUSD + input 0.000001 tUSD); the job pays at most 0.5 tUSD.");
    expect(a.next).toContain("post it again at 1.000065 tUSD or more");
    expect(a.repost).toBe(true);
  });

  it("gives every known reason a next step, and says which ones pass by themselves", () => {
    const reasons: DeclineReason[] = [
      { code: "window", message: "", commitWindowSeconds: 60, needSeconds: 100, estRunMs: 50_000 },
      { code: "capacity", message: "", queuedJobs: 4, maxQueuedJobs: 4 },
      { code: "stake", message: "", collateral: "1500000", freeStake: "1000" },
      { code: "backstop", message: "", estRunMs: 90_000, wallClockMs: 60_000 },
      { code: "limits", message: "", limit: "maxJobFuel", asked: 10 ** 12, max: 10 ** 11 },
      { code: "policy", message: "the job wants reputation 9000 bps, this node has 5000", rule: "reputation" },
      { code: "policy", message: "", rule: "bidding-closed" },
      { code: "manifest", message: "", error: "module not found" },
      { code: "other", message: "maintenance until noon" },
    ];
    const advice = reasons.map((r) => adviceFor(r, job, token));
    for (const a of advice) {
      expect(a.why.length).toBeGreaterThan(0);
      expect(a.next.length).toBeGreaterThan(0);
    }
    expect(advice[0]!.next).toContain("commit window of 100 s or more");
    expect(advice.filter((a) => a.transient).length).toBe(2); // capacity and stake wait it out
    expect(advice[6]!.next).toContain("Claim the job");
  });

  it("tells a requester that a provider too late for the pool needs nothing from it", () => {
    const a = adviceFor({ code: "policy", message: "the job's pool closed with its 3 bids before this node reached it; the replicas are drawn from them", rule: "pool-closed" }, job, token);
    expect(a.why).toContain("pool closed with its 3 bids");
    expect(a.next).toBe("Nothing to do: the job has its bids from other providers.");
    expect(a.repost).toBeUndefined();
  });

  it("says why a provider could not answer", () => {
    expect(statusLine({ provider: "0x0000000000000000000000000000000000000001", peerId: "p", status: "unreachable", error: "dial timed out" })).toContain("could not be reached");
    expect(statusLine({ provider: "0x0000000000000000000000000000000000000001", peerId: "p", status: "waiting" })).toContain("will bid if a slot frees");
  });
});

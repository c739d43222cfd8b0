import { encodeAbiParameters, encodeEventTopics, getAddress, type Hex } from "viem";
import { parseEventLogs } from "viem";
import { describe, expect, it } from "vitest";
import { jobMarketAbi } from "../generated/abi.ts";
import { cidToHex, hexToCid } from "../content/cid.ts";
import { toJobEvent } from "./events.ts";
import { activeBids, applyJobEvent, newHistory } from "./jobHistory.ts";

const CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";
const A = getAddress("0x00000000000000000000000000000000000000aa");
const B = getAddress("0x00000000000000000000000000000000000000bb");
const C = getAddress("0x00000000000000000000000000000000000000cc");
let block = 10n;

/** A log as the node returns it, encoded from the real ABI so decoding is exercised too. */
function log(eventName: string, args: Record<string, unknown>) {
  const item = jobMarketAbi.find((x) => x.type === "event" && x.name === eventName) as any;
  const topics = encodeEventTopics({ abi: jobMarketAbi, eventName: eventName as never, args: args as never }) as Hex[];
  const data = encodeAbiParameters(item.inputs.filter((i: any) => !i.indexed), item.inputs.filter((i: any) => !i.indexed).map((i: any) => args[i.name]));
  const [ev] = parseEventLogs({ abi: jobMarketAbi, logs: [{ address: A, topics, data, blockNumber: block++, transactionHash: `0x${"ab".repeat(32)}`, logIndex: 0, blockHash: `0x${"cd".repeat(32)}`, transactionIndex: 0, removed: false }] as never });
  return toJobEvent(ev!)!;
}

/** A Revealed log's arguments for CID as the result and the same digest as a dag-pb sealed result. */
function revealedArgs(jobId: bigint, provider: string) {
  const digest = `0x${cidToHex(CID).slice(10)}` as Hex;
  return { jobId, provider, resultDigest: digest, sealedResultDigest: digest, codecs: (0x55 << 8) | 0x70 };
}

describe("a job's history from its events", () => {
  it("follows bids, displacement, award, commits, reveals and settlement", () => {
    const jobId = (1n << 32n) | 1n;
    const posted = log("JobPosted", { jobId, requester: A, manifestCid: cidToHex(CID), replicas: 2, quorum: 2, maxPrice: 10n, escrow: 20n, bidDeadline: 99n, commitWindow: 60, revealWindow: 60, minReputation: 0, awardOnFill: true });
    expect(posted).toMatchObject({ type: "posted", manifestCid: CID, replicas: 2 });
    const h = newHistory(posted as never);
    applyJobEvent(h, log("BidPlaced", { jobId, provider: A, price: 9n, collateral: 9n }));
    applyJobEvent(h, log("BidPlaced", { jobId, provider: B, price: 8n, collateral: 8n }));
    applyJobEvent(h, log("BidDisplaced", { jobId, provider: A, price: 9n, collateral: 9n }));
    applyJobEvent(h, log("BidPlaced", { jobId, provider: C, price: 7n, collateral: 7n }));
    expect(activeBids(h).map((b) => b.provider)).toEqual([B, C]);
    applyJobEvent(h, log("JobAwarded", { jobId, winners: 2, commitDeadline: 200n }));
    expect(h).toMatchObject({ state: "Committing", deadline: 200n, commitDeadline: 200n, winners: 2 });
    expect(h.awarded.map((r) => [r.provider, r.price, r.committed])).toEqual([
      [B, 8n, false],
      [C, 7n, false],
    ]);
    applyJobEvent(h, log("Committed", { jobId, provider: B }));
    applyJobEvent(h, log("Committed", { jobId, provider: C }));
    applyJobEvent(h, log("RevealOpened", { jobId, revealDeadline: 300n }));
    expect(h).toMatchObject({ state: "Revealing", deadline: 300n, revealDeadline: 300n });
    expect(h.awarded.every((r) => r.committed)).toBe(true);
    applyJobEvent(h, log("Revealed", revealedArgs(jobId, B)));
    applyJobEvent(h, log("ReplicaSettled", { jobId, provider: B, outcome: 1, paid: 0n, slashed: 8n }));
    applyJobEvent(h, log("JobSettled", { jobId, state: 4, resultDigest: `0x${"33".repeat(32)}`, paid: 15n, fee: 0n, refunded: 5n, slashed: 8n }));
    expect(h.reveals).toEqual([expect.objectContaining({ provider: B, resultCid: CID })]);
    expect(h.outcomes).toEqual([{ provider: B, outcome: "Dissented", paid: 0n, slashed: 8n }]);
    expect(h.awarded[0]).toMatchObject({ revealed: true, resultCid: CID, outcome: "Dissented", slashed: 8n });
    expect(h.awarded[1]).toEqual({ provider: C, price: 7n, collateral: 7n, committed: true, revealed: false });
    expect(h).toMatchObject({ state: "Succeeded", deadline: undefined, settlement: { paid: 15n, refunded: 5n } });
  });

  it("tells a bid the draw left out from one a heavier stake pushed out of a full pool", () => {
    const jobId = (1n << 32n) | 2n;
    const h = newHistory(log("JobPosted", { jobId, requester: A, manifestCid: cidToHex(CID), replicas: 1, quorum: 1, maxPrice: 10n, escrow: 10n, bidDeadline: 99n, commitWindow: 60, revealWindow: 60, minReputation: 0, awardOnFill: true }) as never);
    for (const p of [A, B, C]) applyJobEvent(h, log("BidPlaced", { jobId, provider: p, price: 5n, collateral: 10n }));
    applyJobEvent(h, log("BidDisplaced", { jobId, provider: A, price: 5n, collateral: 10n }));
    expect(h.bids[0]).toMatchObject({ displaced: true });
    expect(h.bids[0]!.notDrawn).toBeUndefined();
    applyJobEvent(h, log("ReplicasDrawn", { jobId, seed: `0x${"44".repeat(32)}`, pool: 2 }));
    applyJobEvent(h, log("BidDisplaced", { jobId, provider: C, price: 5n, collateral: 10n }));
    applyJobEvent(h, log("JobAwarded", { jobId, winners: 1, commitDeadline: 200n }));
    expect(h.draw).toMatchObject({ seed: `0x${"44".repeat(32)}`, pool: 2 });
    expect(h.bids[2]).toMatchObject({ provider: C, displaced: true, notDrawn: true });
    expect(h.awarded.map((r) => r.provider)).toEqual([B]);
  });

  it("puts a reveal's CIDs back from the digests and codecs the market logs (raw result, dag-pb sealed result)", () => {
    const ev = log("Revealed", revealedArgs(1n, A));
    const sealed = hexToCid(`0x01701220${cidToHex(CID).slice(10)}`).toString();
    expect(sealed).not.toBe(CID);
    expect(ev).toMatchObject({ type: "revealed", provider: A, resultCid: CID, sealedResultCid: sealed });
  });

  it("follows an escalation: the job reopens for a new round, earlier replicas keep what they did, and the round's winner joins the book after them", () => {
    const jobId = (1n << 32n) | 3n;
    const D = getAddress("0x00000000000000000000000000000000000000dd");
    const h = newHistory(log("JobPosted", { jobId, requester: D, manifestCid: cidToHex(CID), replicas: 2, quorum: 2, maxPrice: 10n, escrow: 30n, bidDeadline: 99n, commitWindow: 60, revealWindow: 60, minReputation: 0, awardOnFill: true }) as never);
    for (const p of [A, B]) applyJobEvent(h, log("BidPlaced", { jobId, provider: p, price: 5n, collateral: 10n }));
    applyJobEvent(h, log("JobAwarded", { jobId, winners: 2, commitDeadline: 200n }));
    for (const p of [A, B]) applyJobEvent(h, log("Committed", { jobId, provider: p }));
    applyJobEvent(h, log("RevealOpened", { jobId, revealDeadline: 300n }));
    for (const p of [A, B]) applyJobEvent(h, log("Revealed", revealedArgs(jobId, p)));
    const escalated = log("JobEscalated", { jobId, round: 1, extra: 1, poolCloses: 330n });
    expect(escalated).toMatchObject({ type: "escalated", round: 1, extra: 1, poolCloses: 330n });
    applyJobEvent(h, escalated);
    expect(h).toMatchObject({ state: "Open", deadline: 330n, rounds: [{ round: 1, extra: 1, poolCloses: 330n }] });
    applyJobEvent(h, log("BidPlaced", { jobId, provider: C, price: 6n, collateral: 10n }));
    applyJobEvent(h, log("JobAwarded", { jobId, winners: 1, commitDeadline: 400n }));
    expect(h.winners).toBe(3);
    expect(h.awarded.map((r) => [r.provider, r.committed, r.revealed])).toEqual([
      [A, true, true],
      [B, true, true],
      [C, false, false],
    ]);
    applyJobEvent(h, log("JobSettled", { jobId, state: 4, resultDigest: `0x${"33".repeat(32)}`, paid: 11n, fee: 0n, refunded: 19n, slashed: 10n }));
    applyJobEvent(h, log("Restituted", { jobId, requester: D, amount: 6n }));
    expect(h).toMatchObject({ state: "Succeeded", restitution: 6n });
  });
});

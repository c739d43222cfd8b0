// The job page's rounds (components/JobRounds.tsx) come from the timeline the indexer builds: each
// round's pool, its replicas at the award, its reveals, and how it ended.
import { describe, expect, it } from "vitest";
import { jobRounds } from "../lib/job-rounds.ts";
import type { ReplicaRow, TimelineEntry } from "../lib/types.ts";

const A = "0x00000000000000000000000000000000000000a1";
const B = "0x00000000000000000000000000000000000000b2";
const C = "0x00000000000000000000000000000000000000c3";
const D = "0x00000000000000000000000000000000000000d4";
let block = 0;
const ev = (kind: TimelineEntry["kind"], o: Partial<TimelineEntry> = {}): TimelineEntry => ({ kind, block: ++block, time: 1_000 + block, tx: `0x${block.toString(16).padStart(64, "0")}`, ...o });
const bid = (provider: string, price: string) => ev("bid", { provider: provider as `0x${string}`, amount: price, amount2: "10" });
const row = (provider: string, o: Partial<ReplicaRow>): ReplicaRow => ({ provider: provider as `0x${string}`, price: "1", collateral: "10", committed: true, revealed: true, ...o });

describe("jobRounds", () => {
  it("splits an escalated job into its rounds: replicas drawn, reveals, the escalation and the settlement with restitution", () => {
    const escalation = ev("escalated", { amount: "1", amount2: "1" });
    const settled = ev("settled", { state: "Succeeded", amount: "3" });
    const restituted = ev("restituted", { amount: "2" });
    const timeline = [
      ev("posted", { amount: "33" }),
      bid(A, "1"),
      bid(B, "2"),
      bid(C, "3"),
      ev("drawn", { amount: "3" }),
      ev("displaced", { provider: C as `0x${string}`, amount: "3" }),
      ev("awarded", { amount: "2" }),
      ev("revealed", { provider: A as `0x${string}` }),
      ev("revealed", { provider: B as `0x${string}` }),
      escalation,
      // C was not drawn in the first round and bids again; D too, and is not drawn this time.
      bid(C, "3"),
      bid(D, "4"),
      ev("displaced", { provider: D as `0x${string}`, amount: "4" }),
      ev("awarded", { amount: "1" }),
      ev("revealed", { provider: C as `0x${string}` }),
      settled,
      restituted,
    ];
    const replicaRows = [
      row(A, { resultCid: "good", outcome: "Agreed", paid: "1" }),
      row(B, { resultCid: "bad", outcome: "Dissented", slashed: "10" }),
      row(C, { resultCid: "good", outcome: "Agreed", paid: "3" }),
    ];
    const { rounds, restitution } = jobRounds({ timeline, replicaRows, replicas: 2, consensusCid: "good" });
    expect(rounds.map((r) => [r.round, r.sought, r.bids, r.displaced, r.replicas.map((x) => x.provider), r.reveals, r.distinctResults])).toEqual([
      [0, 2, 3, 1, [A, B], 2, 2],
      [1, 1, 2, 1, [C], 1, 1],
    ]);
    expect(rounds[0]!.end).toEqual({ kind: "escalated", entry: escalation, nextRound: 1, extra: 1 });
    expect(rounds[0]!.replicas.map((x) => [x.price, x.agrees, x.outcome])).toEqual([["1", true, "Agreed"], ["2", false, "Dissented"]]);
    expect(rounds[1]!.opened).toBe(escalation);
    expect(rounds[1]!.replicas[0]).toMatchObject({ price: "3", agrees: true, outcome: "Agreed", paid: "3" });
    expect(rounds[1]!.end).toEqual({ kind: "settled", entry: settled });
    expect(restitution).toBe(restituted);
  });

  it("leaves a round still drawing open, and a job that never escalated one round", () => {
    const open = jobRounds({ timeline: [ev("posted"), bid(A, "1"), ev("awarded", { amount: "1" }), ev("escalated", { amount: "1", amount2: "1" })], replicaRows: [row(A, { committed: true, revealed: false })], replicas: 1, consensusCid: undefined });
    expect(open.rounds.map((r) => [r.round, r.end.kind, r.replicas.length])).toEqual([[0, "escalated", 1], [1, "open", 0]]);
    expect(open.rounds[0]!.replicas[0]!.agrees).toBeUndefined();
    const plain = jobRounds({ timeline: [ev("posted"), bid(A, "1")], replicaRows: [], replicas: 1, consensusCid: undefined });
    expect(plain.rounds).toHaveLength(1);
    expect(plain.rounds[0]!.end.kind).toBe("open");
  });
});

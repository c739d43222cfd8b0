// The job state machine (steps.ts, run.ts, driven by JobDriver) against an in-memory market that
// answers the steps' three questions (job-chain.ts) from what each test sets and records every
// read and call. What the contract does with those calls is tested on a real chain in
// test/provider; here it is our own logic: which reads a step skips on the strength of an
// event, what a refusal makes it do, whose turn it is to push a job.
import { afterEach, describe, expect, it } from "vitest";
import { encodePacked, keccak256, type Address, type Hex } from "viem";
import { TransactionRevertedError } from "../chain/sender.ts";
import { behaviourFor } from "../faults.ts";
import { LOG_EVENTS } from "../log-events.ts";
import { closeNodes, jobInfo, MarketInMemory, marketEvent, ME, node, OTHER, OTHERS_COMMITMENT, ranJob, replica, T0 } from "./steps-harness.ts";

afterEach(closeNodes);

describe("awaiting the award", () => {
  it("a job whose award was seen and whose bid carried the commitment goes straight to committed: no read, no commit sent", async () => {
    const n = node();
    n.journal.insert(1n, { phase: "bid", ...(await ranJob()) });
    // The reveal step that follows reads once and sleeps until the commit phase ends.
    n.market.jobs.set(1n, jobInfo(1n, { state: "Committing", commits: 2 }));
    n.driver.onEvent(marketEvent("JobAwarded", { jobId: 1n, winners: 2, commitDeadline: BigInt(T0 + 600) }), true);
    await n.driver.idle();
    expect(n.journal.get(1n)!.phase).toBe("committed");
    expect(n.market.seen).toEqual(["read job"]);
  });

  it("without the award event the same job reads the chain, and only a replica the chain shows committed is taken as committed", async () => {
    const n = node();
    n.journal.insert(1n, { phase: "bid", ...(await ranJob()) });
    n.market.jobs.set(1n, jobInfo(1n, { state: "Committing", commits: 2 }));
    n.market.rows.set(1n, [replica(OTHER, { committed: true }), replica(ME, { committed: true })]);
    n.driver.poke(1n);
    await n.driver.idle();
    expect(n.journal.get(1n)!.phase).toBe("committed");
    expect(n.market.seen).toEqual(["read job", "read replicas", "read job"]);
  });

  it("a displaced bid ends lost at the event, and the award that follows does not make it a winner", async () => {
    const n = node();
    n.journal.insert(1n, { phase: "bid", ...(await ranJob()) });
    n.driver.onEvent(marketEvent("BidDisplaced", { jobId: 1n, provider: ME, price: 5n, collateral: 0n }), true);
    expect(n.journal.get(1n)!.phase).toBe("lost");
    n.driver.onEvent(marketEvent("JobAwarded", { jobId: 1n, winners: 2, commitDeadline: BigInt(T0 + 600) }), true);
    await n.driver.idle();
    expect(n.journal.get(1n)!.phase).toBe("lost");
    expect(n.market.seen).toEqual([]);
    expect((await n.metrics.lost.get()).values[0]!.value).toBe(1);
  });

  it("another provider's displaced bid changes nothing for ours: the award still makes it a winner without reads", async () => {
    const n = node();
    n.journal.insert(1n, { phase: "bid", ...(await ranJob()) });
    n.market.jobs.set(1n, jobInfo(1n, { state: "Committing" }));
    n.driver.onEvent(marketEvent("BidDisplaced", { jobId: 1n, provider: OTHER, price: 5n, collateral: 0n }), true);
    n.driver.onEvent(marketEvent("JobAwarded", { jobId: 1n, winners: 2, commitDeadline: BigInt(T0 + 600) }), true);
    await n.driver.idle();
    expect(n.journal.get(1n)!.phase).toBe("committed");
    expect(n.market.seen).toEqual(["read job"]);
  });
});

describe("an escalation", () => {
  it("makes a node whose bid was not drawn evaluate the job again, as a post: it reads the reopened job and goes on to its own record", async () => {
    const n = node();
    n.journal.insert(1n, { phase: "bid", ...(await ranJob()) });
    n.driver.onEvent(marketEvent("BidDisplaced", { jobId: 1n, provider: ME, price: 5n, collateral: 0n }), true);
    n.driver.onEvent(marketEvent("JobAwarded", { jobId: 1n, winners: 2, commitDeadline: BigInt(T0 + 600) }), true);
    expect(n.journal.get(1n)!.phase).toBe("lost");
    n.market.jobs.set(1n, jobInfo(1n, { state: "Open" }));
    n.driver.onEvent(marketEvent("JobEscalated", { jobId: 1n, round: 1, extra: 1, poolCloses: BigInt(T0 + 30) }), true);
    expect(n.journal.get(1n)!.phase).toBe("evaluating");
    await n.driver.idle();
    // The evaluation read the job (Open again) and went on to the node's own record, which this test
    // leaves unreachable: the first round's award no longer declines it as "awarded". The escalation
    // came while the award's step was ending, in the same batch, and its poke was not dropped.
    expect(n.market.seen).toEqual(["read job"]);
    expect(n.lines.some((l) => JSON.stringify(l).includes("the node's own record.ownRecord"))).toBe(true);
    expect(n.lines.some((l) => l.event === LOG_EVENTS.escalated)).toBe(true);
  });

  it("makes a node that never saw the job posted read the post from the log and evaluate the job for the new round", async () => {
    const n = node();
    const { manifestCid } = await ranJob();
    n.market.logs.set(1n, { manifestCid, requester: OTHER, earlierReplicas: 2 });
    n.market.jobs.set(1n, jobInfo(1n, { state: "Open" }));
    n.driver.onEvent(marketEvent("JobEscalated", { jobId: 1n, round: 1, extra: 1, poolCloses: BigInt(T0 + 30) }), true);
    await n.driver.idle();
    // The log is read back from the escalation itself; the evaluation then reads the reopened job and
    // goes on to the node's own record (unreachable here), as a post's evaluation does.
    expect(n.market.logReadsAt).toEqual([{ blockNumber: 1n, logIndex: 0 }]);
    expect(n.market.seen).toEqual(["read log", "read job"]);
    expect(n.journal.get(1n)).toMatchObject({ phase: "evaluating", manifestCid, requester: OTHER });
    expect(n.lines.some((l) => JSON.stringify(l).includes("the node's own record.ownRecord"))).toBe(true);
    expect(n.lines.find((l) => l.event === LOG_EVENTS.escalated)).toMatchObject({ jobId: "1", round: 1, extra: 1, earlierReplicas: 2 });
    expect((await n.metrics.jobsSeen.get()).values[0]!.value).toBe(1);
  });

  it("leaves an escalated job alone when its post is not in the log the node can read, saying so", async () => {
    const n = node();
    n.driver.onEvent(marketEvent("JobEscalated", { jobId: 1n, round: 1, extra: 1, poolCloses: BigInt(T0 + 30) }), true);
    await n.driver.idle();
    expect(n.market.seen).toEqual(["read log"]);
    expect(n.journal.get(1n)).toBeUndefined();
    expect(n.lines.find((l) => l.event === LOG_EVENTS.escalated)).toMatchObject({ level: 40, msg: expect.stringContaining("JobPosted is not in the market's log") });
  });

  it("leaves a replica of the first round waiting for the settlement: it only pushes the open round past its deadline", async () => {
    const n = node();
    n.journal.insert(1n, { phase: "revealed", ...(await ranJob()) });
    n.market.jobs.set(1n, jobInfo(1n, { state: "Open", deadline: BigInt(T0 + 90) }));
    n.driver.onEvent(marketEvent("JobEscalated", { jobId: 1n, round: 1, extra: 1, poolCloses: BigInt(T0 + 30) }), true);
    await n.driver.idle();
    expect(n.journal.get(1n)!.phase).toBe("revealed");
    expect(n.market.seen).toEqual(["read job"]);
  });
});

describe("pushing a job past its deadline", () => {
  /** The bidders' order of turns for a job, as PROTOCOL.md states it: by keccak256(jobId, address). */
  const turnOf = (jobId: bigint, me: Address, parties: Address[]) =>
    [...parties].sort((a, b) => (keccak256(encodePacked(["uint256", "address"], [jobId, a])) < keccak256(encodePacked(["uint256", "address"], [jobId, b])) ? -1 : 1)).indexOf(me);

  async function pastDeadline(me: Address) {
    const n = node({ me });
    n.journal.insert(7n, { phase: "bid", manifestCid: (await ranJob()).manifestCid, price: 5n });
    n.market.jobs.set(7n, jobInfo(7n, { state: "Open", bids: 2, deadline: BigInt(T0) }));
    n.market.rows.set(7n, [replica(ME), replica(OTHER)]);
    // The award draws; this node's bid is drawn.
    n.market.onSuccess("award", () => n.market.jobs.set(7n, jobInfo(7n, { state: "Committing", deadline: BigInt(T0 + 600) })));
    return n;
  }

  it("the bidder whose turn is first pushes at the deadline", async () => {
    const first = turnOf(7n, ME, [ME, OTHER]) === 0 ? ME : OTHER;
    const n = await pastDeadline(first);
    n.market.rows.set(7n, [replica(ME), replica(OTHER)]);
    n.driver.poke(7n);
    await n.driver.idle();
    expect(n.market.seen.filter((s) => s.startsWith("send"))).toEqual(["send award"]);
  });

  it("a push waits its turn: the second bidder sends nothing until pushTurnSeconds after the deadline, then pushes a job nobody moved", async () => {
    const second = turnOf(7n, ME, [ME, OTHER]) === 1 ? ME : OTHER;
    const n = await pastDeadline(second);
    n.driver.poke(7n);
    await n.driver.idle();
    expect(n.market.sent).toEqual([]);
    n.driver.tick(); // its time has not come: nothing
    await n.driver.idle();
    expect(n.market.sent).toEqual([]);
    n.clock.observe(BigInt(T0 + n.limits.pushTurnSeconds));
    n.driver.tick();
    await n.driver.idle();
    expect(n.market.sent.map((c) => c.functionName)).toEqual(["award"]);
  });

  it("when its turn comes and the job has moved, the second bidder sends nothing", async () => {
    const second = turnOf(7n, ME, [ME, OTHER]) === 1 ? ME : OTHER;
    const n = await pastDeadline(second);
    n.driver.poke(7n);
    await n.driver.idle();
    // The first bidder's award landed and drew both bids.
    n.market.jobs.set(7n, jobInfo(7n, { state: "Committing", deadline: BigInt(T0 + 600) }));
    n.market.rows.set(7n, [replica(ME), replica(OTHER)]);
    n.clock.observe(BigInt(T0 + n.limits.pushTurnSeconds));
    n.driver.tick();
    await n.driver.idle();
    expect(n.market.sent).toEqual([]);
    expect(n.journal.get(7n)!.phase).toBe("awarded");
  });
});

describe("drawing the pool with the reveal", () => {
  /** A bid that carried its commitment, in a pool of `entries` whose every entry committed, past the pool's close. */
  async function committedPool(me: Address, entries: Address[], replicas: number) {
    const n = node({ me });
    n.journal.insert(8n, { phase: "bid", ...(await ranJob()) });
    n.market.jobs.set(8n, jobInfo(8n, { state: "Open", replicas, bids: entries.length, deadline: BigInt(T0) }));
    n.market.rows.set(8n, entries.map((a) => replica(a, { committed: true })));
    return n;
  }
  const THIRD = "0x00000000000000000000000000000000000000cc" as Address;
  const turnOf = (jobId: bigint, me: Address, parties: Address[]) =>
    [...parties].sort((a, b) => (keccak256(encodePacked(["uint256", "address"], [jobId, a])) < keccak256(encodePacked(["uint256", "address"], [jobId, b])) ? -1 : 1)).indexOf(me);

  it("a pool of k committed entries: each reveals at once as of the node's clock, with no award, and the reveal that drew makes it a revealed replica", async () => {
    const n = await committedPool(ME, [OTHER, ME], 2);
    // Whoever's turn it would be: with no entry left out, nobody waits.
    n.market.onSuccess("reveal", () => {
      n.market.jobs.set(8n, jobInfo(8n, { state: "Revealing", commits: 2, reveals: 1 }));
      n.market.rows.set(8n, [replica(OTHER, { committed: true }), replica(ME, { committed: true, revealed: true })]);
    });
    n.clock.observe(BigInt(T0 + 1));
    n.driver.poke(8n);
    await n.driver.idle();
    expect(n.market.sent.map((c) => [c.functionName, c.draws, c.at])).toEqual([["reveal", true, T0 + 1]]);
    expect(n.market.sent[0]!.args[0]).toBe(8n);
    expect(n.journal.get(8n)).toMatchObject({ phase: "revealed" });
    expect(n.journal.get(8n)!.awardedAtMs).toBeGreaterThan(0);
    expect((await n.metrics.wins.get()).values[0]!.value).toBe(1);
    expect((await n.metrics.reveals.get()).values[0]!.value).toBe(1);
  });

  it("before the pool can be drawn it sends nothing and sleeps until then", async () => {
    const n = await committedPool(ME, [OTHER, ME], 2);
    n.market.jobs.set(8n, jobInfo(8n, { state: "Open", replicas: 2, bids: 2, deadline: BigInt(T0 + 5) }));
    n.driver.poke(8n);
    await n.driver.idle();
    expect(n.market.sent).toEqual([]);
    n.market.onSuccess("reveal", () => n.market.rows.set(8n, [replica(OTHER, { committed: true }), replica(ME, { committed: true, revealed: true })]));
    n.clock.observe(BigInt(T0 + 5));
    n.driver.tick();
    await n.driver.idle();
    expect(n.market.sent.map((c) => [c.functionName, c.draws])).toEqual([["reveal", true]]);
  });

  it("a pool larger than k: entries take turns, since a reveal mined after a draw that left its entry out fails", async () => {
    const parties = [ME, OTHER, THIRD];
    const first = parties.find((p) => turnOf(8n, p, parties) === 0)!;
    const second = parties.find((p) => turnOf(8n, p, parties) === 1)!;
    // The reveal draws the other two; the step then reads the book and finds its entry left out.
    const drawnOthers = (n: { market: MarketInMemory }, me: Address) => () => {
      n.market.jobs.set(8n, jobInfo(8n, { state: "Revealing", commits: 2 }));
      n.market.rows.set(8n, parties.filter((p) => p !== me).map((p) => replica(p, { committed: true })));
    };
    const a = await committedPool(first, parties, 2);
    a.market.onSuccess("reveal", drawnOthers(a, first));
    a.driver.poke(8n);
    await a.driver.idle();
    expect(a.market.sent.map((c) => [c.functionName, c.draws])).toEqual([["reveal", true]]);

    const b = await committedPool(second, parties, 2);
    b.market.onSuccess("reveal", drawnOthers(b, second));
    b.driver.poke(8n);
    await b.driver.idle();
    expect(b.market.sent).toEqual([]);
    // Its turn comes and nobody drew: it draws.
    b.clock.observe(BigInt(T0 + b.limits.pushTurnSeconds));
    b.driver.tick();
    await b.driver.idle();
    expect(b.market.sent.map((c) => [c.functionName, c.draws])).toEqual([["reveal", true]]);
  });

  it("a reveal that drew but left its own entry out ends the job lost for this node", async () => {
    const n = await committedPool(ME, [OTHER, ME, THIRD], 2);
    n.limits.pushTurnSeconds = 0;
    n.market.onSuccess("reveal", () => {
      n.market.jobs.set(8n, jobInfo(8n, { state: "Revealing", commits: 2 }));
      n.market.rows.set(8n, [replica(OTHER, { committed: true }), replica(THIRD, { committed: true })]);
    });
    n.driver.poke(8n);
    await n.driver.idle();
    expect(n.market.sent.map((c) => c.functionName)).toEqual(["reveal"]);
    expect(n.journal.get(8n)).toMatchObject({ phase: "lost", reason: "another provider won" });
  });

  it("a drawing reveal that lost the race in its block is told at info, and the drawn entry reveals in the phase the other draw opened", async () => {
    const n = await committedPool(ME, [OTHER, ME], 2);
    n.market.refuseNext("reveal", "Reverted", {
      err: new TransactionRevertedError("reveal (drawing the pool) job 8", `0x${"cd".repeat(32)}`, { reason: "WrongJobState" }),
      then: () => n.market.jobs.set(8n, jobInfo(8n, { state: "Revealing", commits: 2 })),
    });
    n.market.onSuccess("reveal", () => n.market.rows.set(8n, [replica(OTHER, { committed: true }), replica(ME, { committed: true, revealed: true })]));
    n.driver.poke(8n);
    await n.driver.idle();
    expect(n.lines.filter((l) => l.function === "reveal").map((l) => [l.level, l.event])).toEqual([[30, LOG_EVENTS.raceLost]]);
    expect(n.market.sent.map((c) => [c.functionName, c.draws ?? false])).toEqual([["reveal", true], ["reveal", false]]);
    expect(n.journal.get(8n)!.phase).toBe("revealed");
  });

  it("a pool short of its quorum sends the award, which expires it (a reveal may not)", async () => {
    const n = await committedPool(ME, [OTHER, ME], 3);
    n.market.jobs.set(8n, jobInfo(8n, { state: "Open", replicas: 3, quorum: 3, bids: 2, deadline: BigInt(T0) }));
    n.limits.pushTurnSeconds = 0;
    n.market.onSuccess("award", () => n.market.jobs.set(8n, jobInfo(8n, { state: "Expired", terminal: true })));
    n.driver.poke(8n);
    await n.driver.idle();
    expect(n.market.sent.map((c) => c.functionName)).toEqual(["award"]);
    expect(n.journal.get(8n)!.phase).toBe("lost");
  });

  it("a drawing reveal the market refuses before it is sent falls back to the award, so the job is never left undrawn", async () => {
    const n = await committedPool(ME, [OTHER, ME], 2);
    n.limits.pushTurnSeconds = 0;
    n.market.refuseNext("reveal", "WrongJobState");
    n.market.onSuccess("award", () => n.market.jobs.set(8n, jobInfo(8n, { state: "Expired", terminal: true })));
    n.driver.poke(8n);
    await n.driver.idle();
    expect(n.market.sent.map((c) => [c.functionName, c.draws])).toEqual([["reveal", true], ["award", undefined]]);
    // A refusal at the simulation cost nothing: counted apart from failed transactions.
    const byFunction = async (c: typeof n.metrics.txs) => (await c.get()).values.map((v) => [v.labels.function, v.value]);
    expect([await byFunction(n.metrics.refusals), await byFunction(n.metrics.txErrors), await byFunction(n.metrics.txs)]).toEqual([[["reveal", 1]], [], [["award", 1]]]);
  });

  it("a pool with an uncommitted entry, or a node that withholds its reveal, sends the award instead", async () => {
    const n = await committedPool(ME, [OTHER, ME], 2);
    n.market.rows.set(8n, [replica(OTHER), replica(ME, { committed: true })]);
    n.limits.pushTurnSeconds = 0;
    n.market.onSuccess("award", () => n.market.jobs.set(8n, jobInfo(8n, { state: "Revealing", commits: 2 })));
    n.driver.poke(8n);
    await n.driver.idle();
    // The award, then (drawn, the phase open) its plain reveal.
    expect(n.market.sent.map((c) => [c.functionName, c.draws])).toEqual([["award", undefined], ["reveal", undefined]]);

    const w = node({ behaviour: behaviourFor("never-reveal") });
    w.journal.insert(8n, { phase: "bid", ...(await ranJob()) });
    w.market.jobs.set(8n, jobInfo(8n, { state: "Open", replicas: 2, bids: 2, deadline: BigInt(T0) }));
    w.market.rows.set(8n, [replica(OTHER, { committed: true }), replica(ME, { committed: true })]);
    w.limits.pushTurnSeconds = 0;
    w.market.onSuccess("award", () => w.market.jobs.set(8n, jobInfo(8n, { state: "Revealing", commits: 2 })));
    w.driver.poke(8n);
    await w.driver.idle();
    expect(w.market.sent.map((c) => c.functionName)).toEqual(["award"]);
  });
});

describe("a call mined and reverted", () => {
  it("a push that lost the race in its block is told at info, not as a fault, and the step re-reads the job", async () => {
    const n = node();
    n.journal.insert(7n, { phase: "bid", manifestCid: (await ranJob()).manifestCid, price: 5n });
    n.market.jobs.set(7n, jobInfo(7n, { state: "Open", bids: 1, deadline: BigInt(T0) }));
    n.market.rows.set(7n, [replica(ME)]);
    n.market.refuseNext("award", "Reverted", {
      err: new TransactionRevertedError("award job 7", `0x${"cd".repeat(32)}`, { reason: "WrongJobState" }),
      // Someone else's award landed first in the block and drew no bid of ours.
      then: () => {
        n.market.jobs.set(7n, jobInfo(7n, { state: "Committing", deadline: BigInt(T0 + 600) }));
        n.market.rows.set(7n, [replica(OTHER)]);
      },
    });
    n.driver.poke(7n);
    await n.driver.idle();
    const told = n.lines.filter((l) => l.function === "award");
    expect(told.map((l) => [l.level, l.event, l.reason])).toEqual([[30, LOG_EVENTS.raceLost, "WrongJobState"]]);
    // Counted as a race lost, not as a failed transaction.
    expect([(await n.metrics.racesLost.get()).values.map((v) => [v.labels.function, v.value]), (await n.metrics.txErrors.get()).values]).toEqual([[["award", 1]], []]);
    expect(n.journal.get(7n)).toMatchObject({ phase: "lost", reason: "another provider won" });
    expect(n.market.sent.map((c) => c.functionName)).toEqual(["award"]);
  });

  it("a reveal reverted for another reason is a warning with its transaction and reason", async () => {
    const n = node();
    n.journal.insert(3n, { phase: "committed", ...(await ranJob()) });
    n.market.jobs.set(3n, jobInfo(3n, { state: "Revealing", commits: 2 }));
    n.market.rows.set(3n, [replica(ME, { committed: true })]);
    const hash = `0x${"ef".repeat(32)}` as Hex;
    n.market.refuseNext("reveal", "Reverted", { err: new TransactionRevertedError("reveal job 3", hash, { reason: "OutOfGas", gasUsed: 90_000n, gasLimit: 90_000n }) });
    n.driver.onEvent(marketEvent("RevealOpened", { jobId: 3n, revealDeadline: BigInt(T0 + 600) }), true);
    await n.driver.idle();
    expect(n.lines.find((l) => l.function === "reveal")).toMatchObject({ level: 40, txHash: hash, reason: "OutOfGas", gasUsed: "90000" });
    expect((await n.metrics.txErrors.get()).values.map((v) => [v.labels.function, v.value])).toEqual([["reveal", 1]]);
    expect(n.journal.get(3n)!.phase).toBe("revealed");
  });
});

describe("revealing", () => {
  it("a reveal sent on RevealOpened and reverted in its block re-reads the job and reveals again", async () => {
    const n = node();
    n.journal.insert(3n, { phase: "committed", ...(await ranJob()) });
    n.market.jobs.set(3n, jobInfo(3n, { state: "Revealing", commits: 2 }));
    n.market.rows.set(3n, [replica(ME, { committed: true }), replica(OTHER, { committed: true })]);
    n.market.refuseNext("reveal", "Reverted");
    n.driver.onEvent(marketEvent("RevealOpened", { jobId: 3n, revealDeadline: BigInt(T0 + 600) }), true);
    await n.driver.idle();
    expect(n.market.seen).toEqual(["send reveal", "read job", "read replicas", "send reveal"]);
    expect(n.journal.get(3n)!.phase).toBe("revealed");
    expect(n.market.sent[1]!.args).toEqual(n.market.sent[0]!.args);
  });

  it("before RevealOpened a committed job reads first and sleeps until the commit phase ends, sending nothing", async () => {
    const n = node();
    n.journal.insert(3n, { phase: "committed", ...(await ranJob()) });
    n.market.jobs.set(3n, jobInfo(3n, { state: "Committing", commits: 1 }));
    n.driver.poke(3n);
    await n.driver.idle();
    expect(n.market.seen).toEqual(["read job"]);
    expect(n.journal.get(3n)!.phase).toBe("committed");
  });
});

describe("a node built with a fault's behaviour", () => {
  it("copy-commit commits another winner's commitment without running the job, and never reveals it", async () => {
    const n = node({ behaviour: behaviourFor("copy-commit") });
    n.journal.insert(5n, { phase: "awarded", manifestCid: (await ranJob()).manifestCid, price: 5n });
    n.market.jobs.set(5n, jobInfo(5n, { state: "Committing", commits: 1 }));
    n.market.rows.set(5n, [replica(OTHER, { committed: true, commitmentOrDigest: OTHERS_COMMITMENT }), replica(ME)]);
    n.market.onSuccess("commit", () => n.market.rows.set(5n, [replica(OTHER, { committed: true }), replica(ME, { committed: true })]));
    n.driver.poke(5n);
    await n.driver.idle();
    expect(n.market.sent.map((c) => [c.functionName, c.args[1]])).toEqual([["commit", OTHERS_COMMITMENT]]);
    expect(n.journal.get(5n)!.phase).toBe("committed");
    expect(n.lines.find((l) => l.event === LOG_EVENTS.fault && l.deviation === "copy-commitment")).toMatchObject({ jobId: "5", fault: "copy-commit", copiedFrom: OTHER });

    n.market.jobs.set(5n, jobInfo(5n, { state: "Revealing", commits: 2 }));
    n.driver.onEvent(marketEvent("RevealOpened", { jobId: 5n, revealDeadline: BigInt(T0 + 600) }), true);
    await n.driver.idle();
    expect(n.market.sent.map((c) => c.functionName)).toEqual(["commit"]);
    expect(n.lines.some((l) => l.event === LOG_EVENTS.fault && l.deviation === "withhold-reveal" && l.jobId === "5")).toBe(true);
  });

  it("an honest node in the same place waits for a commitment of its own: it runs the job (here: reaches the sandbox's content)", async () => {
    const n = node();
    n.journal.insert(5n, { phase: "awarded", manifestCid: (await ranJob()).manifestCid, price: 5n });
    n.market.jobs.set(5n, jobInfo(5n, { state: "Committing", commits: 1 }));
    n.market.rows.set(5n, [replica(OTHER, { committed: true, commitmentOrDigest: OTHERS_COMMITMENT }), replica(ME)]);
    n.driver.poke(5n);
    await n.driver.idle();
    expect(n.market.sent).toEqual([]);
    expect(n.lines.find((l) => l.msg === "run failed; retrying")?.err).toMatch(/reached the content store/);
  });
});

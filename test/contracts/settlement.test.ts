import { describe, expect, it } from "vitest";
import { eventsOf, Outcome, revertOf, State, type Deployed } from "./market.ts";
import { useMarket } from "./setup.ts";

/** What each awarded provider does: reveal a result, commit only, or nothing. */
type Plan = Array<{ reveal: string } | "commitOnly" | "silent">;

const PRICE_UNITS = [5n, 6n, 7n, 8n, 9n];

/** Runs a job with `plan.length` replicas through bids, commits and reveals, then settles it if needed. */
async function run(m: Deployed, quorum: number, plan: Plan) {
  const k = plan.length;
  const jobId = await m.post({ replicas: k, quorum });
  for (let i = 0; i < k; i++) await m.bid(jobId, i, PRICE_UNITS[i] * m.unit);
  for (let i = 0; i < k; i++) {
    const step = plan[i];
    if (step !== "silent") await m.commit(jobId, i, step === "commitOnly" ? "never revealed" : step.reveal);
  }
  let last: `0x${string}` | undefined;
  for (let i = 0; i < k; i++) {
    const step = plan[i];
    if (typeof step === "object") {
      if ((await m.market.read.getJob([jobId])).state === State.Committing) await m.networkHelpers.time.increase(3_600);
      last = await m.reveal(jobId, i, step.reveal);
    }
  }
  if ((await m.market.read.getJob([jobId])).state < State.Succeeded) {
    await m.networkHelpers.time.increase(2 * 3_600);
    last = await m.market.write.claim([jobId]);
  }
  const events = await eventsOf(m, last!);
  const settled = events.find((e) => e.eventName === "JobSettled")!;
  const replicas = events.filter((e) => e.eventName === "ReplicaSettled").map((e) => e.args);
  return { jobId, settled: settled.args, replicas };
}

/** Token conservation: what the market holds equals escrow + stake + unbonding + credited balances. */
async function expectConserved(m: Deployed, jobIds: bigint[]) {
  let owed = 0n;
  // A finished job's id stops resolving once its record is reused; it holds no escrow then.
  for (const id of jobIds) owed += await m.market.read.escrowOf([id]).catch(() => 0n);
  for (const a of [...m.providers, ...m.requesters, m.treasury, m.owner]) {
    const p = await m.market.read.getProvider([a.address]);
    owed += p.stake + p.unbonding + (await m.market.read.withdrawable([a.address]));
  }
  expect(await m.token.read.balanceOf([m.market.address])).toBe(owed);
}

describe("JobMarket settlement", () => {
  const ctx = useMarket({ providers: 5 });

  const cases: Array<[string, number, Plan, number, number[]]> = [
    ["1 of 1", 1, [{ reveal: "A" }], State.Succeeded, [Outcome.Agreed]],
    ["2 of 3, all agreeing", 2, [{ reveal: "A" }, { reveal: "A" }, { reveal: "A" }], State.Succeeded, [0, 0, 0]],
    ["3 of 3", 3, [{ reveal: "A" }, { reveal: "A" }, { reveal: "A" }], State.Succeeded, [0, 0, 0]],
    ["3 of 5 with a dissenter and a silent winner", 3, [{ reveal: "A" }, { reveal: "B" }, { reveal: "A" }, "silent", { reveal: "A" }], State.Succeeded, [Outcome.Agreed, Outcome.Dissented, Outcome.Agreed, Outcome.MissedCommit, Outcome.Agreed]],
    ["2 of 3 with a dissenting minority", 2, [{ reveal: "B" }, { reveal: "A" }, { reveal: "A" }], State.Succeeded, [Outcome.Dissented, Outcome.Agreed, Outcome.Agreed]],
    ["no consensus", 2, [{ reveal: "A" }, { reveal: "B" }, { reveal: "C" }], State.NoConsensus, [Outcome.Unresolved, Outcome.Unresolved, Outcome.Unresolved]],
    ["committed but never revealed", 2, [{ reveal: "A" }, "commitOnly", { reveal: "A" }], State.Succeeded, [Outcome.Agreed, Outcome.MissedReveal, Outcome.Agreed]],
    ["awarded but too few committed", 2, ["silent", "commitOnly", "silent"], State.Failed, [Outcome.MissedCommit, Outcome.Unresolved, Outcome.MissedCommit]],
  ];

  for (const [name, quorum, plan, state, outcomes] of cases) {
    it(`settles ${name}`, async () => {
      const { m } = ctx;
      const k = plan.length;
      const before = await Promise.all(m.providers.slice(0, k).map((p) => m.market.read.getProvider([p.address])));
      const requesterBefore = await m.market.read.withdrawable([m.requesters[0].address]);
      const treasuryBefore = await m.market.read.withdrawable([m.treasury.address]);
      // Every replica locked the job's collateral: max price 10 at the 100 % ratio, whatever it bid.
      const collateral = 10n * m.unit;
      const { jobId, settled, replicas } = await run(m, quorum, plan);
      expect(settled.state).toBe(state);
      expect(replicas.map((r) => r.outcome)).toEqual(outcomes);

      const gross = BigInt(k) * 10n * m.unit;
      const escrow = gross + gross / 100n;
      let paid = 0n;
      let slashed = 0n;
      for (let i = 0; i < k; i++) {
        const price = PRICE_UNITS[i] * m.unit;
        const o = outcomes[i];
        const after = await m.market.read.getProvider([m.providers[i].address]);
        expect(after.locked).toBe(0n);
        expect(replicas[i].provider).toBe(m.providers[i].address);
        expect(after.awarded).toBe(before[i].awarded + 1);
        if (o === Outcome.Agreed) {
          paid += price;
          expect(replicas[i]).toMatchObject({ paid: price, slashed: 0n });
          expect(after.earnings - before[i].earnings).toBe(price);
          expect(after.agreed).toBe(before[i].agreed + 1);
        } else if (o === Outcome.Unresolved) {
          expect(after.stake).toBe(before[i].stake);
          expect(replicas[i]).toMatchObject({ paid: 0n, slashed: 0n });
        } else {
          slashed += collateral;
          expect(replicas[i]).toMatchObject({ paid: 0n, slashed: collateral });
          expect(before[i].stake - after.stake).toBe(collateral);
          if (o === Outcome.Dissented) expect(after.dissented).toBe(before[i].dissented + 1);
          else expect(after.missed).toBe(before[i].missed + 1);
        }
      }
      const fee = paid / 100n;
      expect(settled).toMatchObject({ paid, fee, refunded: escrow - paid - fee, slashed });
      expect(settled.paid + settled.fee + settled.refunded).toBe(escrow);
      // The requester gets its refund only; slashed collateral goes to the treasury with the fee.
      expect((await m.market.read.withdrawable([m.requesters[0].address])) - requesterBefore).toBe(escrow - paid - fee);
      expect((await m.market.read.withdrawable([m.treasury.address])) - treasuryBefore).toBe(fee + slashed);
      if (state === State.Succeeded) expect(settled.resultDigest).not.toBe(`0x${"00".repeat(32)}`);
      else expect(settled.resultDigest).toBe(`0x${"00".repeat(32)}`);
      expect(await m.market.read.escrowOf([jobId])).toBe(0n);
      await expectConserved(m, [jobId]);
    });
  }

  it("binds commitments to their provider: a copied commitment and a replayed reveal both fail", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 2, quorum: 2 });
    await m.bid(jobId, 0, m.unit);
    await m.bid(jobId, 1, m.unit);
    await m.commit(jobId, 0, "A");
    const [mine] = await m.market.read.getReplicas([jobId]);
    // Provider 1 copies provider 0's commitment instead of computing a result.
    await m.market.write.commit([jobId, mine.commitmentOrDigest], { account: m.providers[1] });
    await m.reveal(jobId, 0, "A");
    // ...and replays provider 0's reveal (same CID, same salt): the hash includes its own address.
    const { cidOf, saltOf } = await import("./market.ts");
    const replay = m.market.write.reveal([jobId, cidOf("A").cid, saltOf(`${jobId}:0`), cidOf("x").cid], { account: m.providers[1] });
    const err = await revertOf(replay);
    expect(err.name).toBe("CommitmentMismatch");
    expect(err.args.slice(0, 3)).toEqual([jobId, m.providers[1].address, mine.commitmentOrDigest]);
    // Provider 0 cannot reveal twice either.
    expect(await revertOf(m.reveal(jobId, 0, "A"))).toEqual({ name: "AlreadyRevealed", args: [jobId, m.providers[0].address] });
    await m.networkHelpers.time.increase(3_600);
    const hash = await m.market.write.finalize([jobId]);
    const outcomes = (await eventsOf(m, hash)).filter((e) => e.eventName === "ReplicaSettled").map((e) => e.args.outcome);
    // Quorum 2 of 2 was not reached: the copier loses its collateral, the honest provider keeps it.
    expect(outcomes).toEqual([Outcome.Unresolved, Outcome.MissedReveal]);
  });

  it("guards commit and reveal: replicas only, once, within their phase", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2 });
    expect(await revertOf(m.commit(jobId, 0))).toEqual({ name: "WrongJobState", args: [jobId, State.Open, State.Committing] });
    for (let i = 0; i < 3; i++) await m.bid(jobId, i, m.unit);
    expect(await revertOf(m.commit(jobId, 3))).toEqual({ name: "NotAReplica", args: [jobId, m.providers[3].address] });
    await m.commit(jobId, 0);
    expect(await revertOf(m.commit(jobId, 0))).toEqual({ name: "AlreadyCommitted", args: [jobId, m.providers[0].address] });
    expect(await revertOf(m.reveal(jobId, 0))).toEqual({ name: "WrongJobState", args: [jobId, State.Committing, State.Revealing] });
    expect(await revertOf(m.market.write.finalize([jobId]))).toEqual({ name: "WrongJobState", args: [jobId, State.Committing, State.Revealing] });
    expect((await revertOf(m.market.write.claim([jobId]))).name).toBe("DeadlineNotReached");
    const { cidOf } = await import("./market.ts");
    expect(await revertOf(m.market.write.reveal([jobId, "0x1234", `0x${"00".repeat(32)}`, cidOf("x").cid], { account: m.providers[0] }))).toEqual({ name: "InvalidCid", args: ["0x1234"] });
    expect(await revertOf(m.market.write.reveal([jobId, cidOf("x").cid, `0x${"00".repeat(32)}`, "0x"], { account: m.providers[0] }))).toEqual({ name: "InvalidCid", args: ["0x"] });
    await m.commit(jobId, 1);
    await m.networkHelpers.time.increase(3_600);
    expect((await revertOf(m.commit(jobId, 2))).name).toBe("DeadlinePassed");
    // The reveal phase opens lazily at the commit deadline, and only for committers.
    expect(await revertOf(m.reveal(jobId, 2))).toEqual({ name: "NotCommitted", args: [jobId, m.providers[2].address] });
    await m.reveal(jobId, 0);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Revealing);
    expect((await revertOf(m.market.write.finalize([jobId]))).name).toBe("DeadlineNotReached");
    await m.networkHelpers.time.increase(3_600);
    expect((await revertOf(m.reveal(jobId, 1))).name).toBe("DeadlinePassed");
    await m.market.write.finalize([jobId]);
    const job = await m.market.read.getJob([jobId]);
    expect(job.state).toBe(State.NoConsensus); // 1 reveal < quorum 2
    expect(await revertOf(m.market.write.claim([jobId]))).toEqual({ name: "JobTerminal", args: [jobId, State.NoConsensus] });
  });

  it("fails a job with too few commits: reveals are refused and claim refunds", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2 });
    for (let i = 0; i < 3; i++) await m.bid(jobId, i, m.unit);
    await m.commit(jobId, 0);
    await m.networkHelpers.time.increase(3_600);
    expect(await revertOf(m.reveal(jobId, 0))).toEqual({ name: "TooFewCommits", args: [jobId, 1n, 2n] });
    expect(await revertOf(m.market.write.finalize([jobId]))).toEqual({ name: "TooFewCommits", args: [jobId, 1n, 2n] });
    await m.market.write.claim([jobId]);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Failed);
  });

  it("claim pushes a stuck job through every passed deadline, opening reveal when it can", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 2, quorum: 2 });
    await m.bid(jobId, 0, m.unit);
    await m.bid(jobId, 1, m.unit);
    await m.commit(jobId, 0);
    await m.commit(jobId, 1);
    expect((await m.market.read.getJob([jobId])).state).toBe(State.Revealing);
    const other = await m.post({ replicas: 2, quorum: 2 });
    await m.bid(other, 2, m.unit);
    await m.bid(other, 3, m.unit);
    await m.commit(other, 2);
    await m.commit(other, 3);
    await m.networkHelpers.time.increase(3_600);
    // Nobody revealed: both committers lose the job's collateral (to the treasury), the requester gets its escrow back.
    const hash = await m.market.write.claim([jobId]);
    expect((await eventsOf(m, hash)).find((e) => e.eventName === "JobSettled")!.args).toMatchObject({ state: State.NoConsensus, paid: 0n, slashed: 20n * m.unit });

    const third = await m.post({ replicas: 2, quorum: 2 });
    await m.bid(third, 4, m.unit);
    await m.bid(third, 0, m.unit);
    await m.commit(third, 4);
    await m.networkHelpers.time.increase(3_600);
    // Commit deadline passed with 1 < 2 commits: claim fails it.
    await m.market.write.claim([third]);
    expect((await m.market.read.getJob([third])).state).toBe(State.Failed);
    await expectConserved(m, [jobId, other, third]);
  });

  it("opens reveal from claim when the commit deadline passed with enough commits", async () => {
    const { m } = ctx;
    const jobId = await m.post({ replicas: 3, quorum: 2 });
    for (let i = 0; i < 3; i++) await m.bid(jobId, i, m.unit);
    await m.commit(jobId, 0);
    await m.commit(jobId, 1);
    await m.networkHelpers.time.increase(3_600);
    const hash = await m.market.write.claim([jobId]);
    expect((await eventsOf(m, hash)).map((e) => e.eventName)).toEqual(["RevealOpened"]);
    await m.reveal(jobId, 0);
    const last = await m.reveal(jobId, 1);
    expect((await eventsOf(m, last)).find((e) => e.eventName === "JobSettled")!.args.state).toBe(State.Succeeded);
  });
});

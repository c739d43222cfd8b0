// The attacks of issue #13, tried as an attacker would on the contracts, with what each must now
// fail to gain. Collateral is sized from the job's value, slashed collateral goes to the treasury,
// and reputation counts only value paid by others in replicated jobs (docs/PROTOCOL.md, "Collateral",
// "Slashing" and "Reputation"). A bought quorum is answered by random selection (selection.test.ts);
// forced no-consensus is answered by escalation when the requester allows it (escalation.test.ts).
import { describe, expect, it } from "vitest";
import { encodeFunctionData, getAddress, toHex, type Address } from "viem";
import { cidOf, commitmentOf as commitment, eventsOf, Outcome, revertOf, saltOf, State, type Deployed } from "./market.ts";
import { useMarket } from "./setup.ts";

type Account = Deployed["providers"][number];

/** Dev account `i` (0..19) as a signer with a checksummed address. */
function accountOf(m: Deployed, i: number): Account {
  const a = m.wallets[i].account;
  return { ...a, address: getAddress(a.address) } as Account;
}

async function registerAndStake(m: Deployed, account: Account, amount: bigint) {
  await m.fund(account.address, amount);
  await m.token.write.approve([m.market.address, amount], { account });
  await m.market.write.registerProvider([toHex(`peer-${account.address}`), [], 1n], { account });
  await m.market.write.stake([amount], { account });
}

/** Everything `who` hold in tokens: wallets, credits, stake and unbonding stake. */
async function wealth(m: Deployed, who: readonly Address[]): Promise<bigint> {
  let sum = 0n;
  for (const a of who) {
    const p = await m.market.read.getProvider([a]);
    sum += (await m.token.read.balanceOf([a])) + (await m.market.read.withdrawable([a])) + p.stake + p.unbonding;
  }
  return sum;
}

describe("issue #13 attacks", () => {
  const ctx = useMarket({ providers: 3 });

  describe("collateral that means something", () => {
    it("locks the job's collateral (maxPrice x ratio) for a 1-wei bid, exactly as for a full-price bid", async () => {
      const { m } = ctx;
      const jobId = await m.post({ replicas: 3, quorum: 2, maxPrice: 10n * m.unit, bidWindow: 600 });
      const cheap = await eventsOf(m, await m.bid(jobId, 0, 1n));
      const full = await eventsOf(m, await m.bid(jobId, 1, 10n * m.unit));
      expect(cheap[0].args.collateral).toBe(10n * m.unit);
      expect(full[0].args.collateral).toBe(10n * m.unit);
      expect((await m.market.read.getProvider([m.providers[0].address])).locked).toBe(10n * m.unit);
      expect((await m.market.read.getReplicas([jobId])).map((r) => r.collateral)).toEqual([10n * m.unit, 10n * m.unit]);
    });

    it("never lets collateral round to zero: ratios below 10 % are refused and the lock rounds up", async () => {
      const { m } = ctx;
      expect(await revertOf(m.market.write.setParameters([{ ...m.params, collateralRatioBps: 999 }], { account: m.owner }))).toEqual({
        name: "CollateralRatioTooLow",
        args: [999n, 1_000n],
      });
      await m.market.write.setParameters([{ ...m.params, collateralRatioBps: 1_000 }], { account: m.owner });
      const jobId = await m.post({ replicas: 1, quorum: 1, maxPrice: 1n, bidWindow: 600 });
      const [placed] = await eventsOf(m, await m.bid(jobId, 0, 1n));
      expect(placed.args.collateral).toBe(1n); // ceil(1 x 10 %), not 0
    });

    it("backs only as many live replicas as the stake covers: one minimum stake cannot block 25 award-on-fill jobs", async () => {
      const { m } = ctx;
      // The griefer: one identity at the minimum stake (10 tokens), bidding 1 wei on every
      // award-on-fill job and never committing, held 25 jobs for 25 wei.
      const griefer = accountOf(m, 17);
      await registerAndStake(m, griefer, m.params.minStake);
      const jobs: bigint[] = [];
      for (let i = 0; i < 25; i++) jobs.push(await m.post({ replicas: 2, quorum: 2, maxPrice: 5n * m.unit }));
      const refused: string[] = [];
      for (const jobId of jobs) {
        try {
          await m.market.write.bid([jobId, 1n], { account: griefer });
        } catch {
          refused.push((await revertOf(m.market.write.bid([jobId, 1n], { account: griefer }))).name);
        }
      }
      // 10 tokens of stake cover two 5-token collaterals, whatever the bid.
      expect(refused).toEqual(Array(23).fill("InsufficientFreeStake"));
      const p = await m.market.read.getProvider([griefer.address]);
      expect(p.locked).toBe(p.stake);
      // Each job it holds still costs it the whole collateral when it never commits.
      await m.bid(jobs[0], 0, 5n * m.unit);
      await m.networkHelpers.time.increase(3_600 * 2);
      await m.market.write.claim([jobs[0]]);
      expect((await m.market.read.getProvider([griefer.address])).stake).toBe(m.params.minStake - 5n * m.unit);
    });
  });

  describe("slashed funds never reward the requester", () => {
    /**
     * The requester with identities: k = 16, m = 9, nine of its own bidding `identityBid`
     * and revealing a wrong digest against seven honest providers. Returns how the requester and its
     * identities, the honest providers and the treasury came out.
     */
    async function requesterWithIdentities(m: Deployed, identityBid: bigint) {
      const requester = accountOf(m, 2);
      const identities = Array.from({ length: 9 }, (_, i) => accountOf(m, 3 + i));
      const honest = Array.from({ length: 7 }, (_, i) => accountOf(m, 12 + i)).filter((a) => a.address !== requester.address);
      const maxPrice = 8n * m.unit;
      for (const a of [...identities, ...honest]) if (!(await m.market.read.getProvider([a.address])).registered) await registerAndStake(m, a, 100n * m.unit);
      const coalition = [requester.address, ...identities.map((a) => a.address)];
      const before = { coalition: await wealth(m, coalition), honest: await wealth(m, honest.map((a) => a.address)), treasury: await wealth(m, [m.treasury.address]) };

      const jobId = await m.post({ replicas: 16, quorum: 9, maxPrice }, 0);
      // m.post mints the escrow to the requester first: that is not the coalition's gain.
      const minted = 16n * maxPrice + (16n * maxPrice * BigInt(m.params.protocolFeeBps)) / 10_000n;
      const bidAndCommit = (a: Account, price: bigint, result: string) => {
        const { digest } = cidOf(result);
        const salt = saltOf(`${jobId}:${a.address}`);
        return m.market.write.bidAndCommit([jobId, price, commitment(jobId, a.address, digest, salt)], { account: a });
      };
      for (const a of identities) await bidAndCommit(a, identityBid, "wrong");
      for (const a of honest) await bidAndCommit(a, maxPrice, "right");
      let last: `0x${string}` | undefined;
      for (const [a, result] of [...identities.map((a) => [a, "wrong"] as const), ...honest.map((a) => [a, "right"] as const)]) {
        last = await m.market.write.reveal([jobId, cidOf(result).cid, saltOf(`${jobId}:${a.address}`), cidOf(`sealed:${result}`, true).cid], { account: a });
      }
      const settled = (await eventsOf(m, last!)).find((e) => e.eventName === "JobSettled")!.args;
      return {
        settled,
        coalition: (await wealth(m, coalition)) - before.coalition - minted,
        honest: (await wealth(m, honest.map((a) => a.address))) - before.honest,
        treasury: (await wealth(m, [m.treasury.address])) - before.treasury,
        honestCollateral: 7n * maxPrice,
      };
    }

    it("sends the seven honest providers' collateral to the treasury, so the requester with nine identities ends poorer", async () => {
      const { m } = ctx;
      const r = await requesterWithIdentities(m, m.unit);
      // The quorum is still bought (random selection is what will stop that)...
      expect(r.settled.state).toBe(State.Succeeded);
      expect(r.settled.resultDigest).toBe(cidOf("wrong").digest);
      expect(r.settled.slashed).toBe(r.honestCollateral);
      // ...but the slashed 56 tokens go to the treasury, and the requester paid its own identities
      // plus the protocol fee on that: it is poorer by the fee (it was 56 tokens richer).
      const fee = (9n * m.unit * 100n) / 10_000n;
      expect(r.coalition).toBe(-fee);
      expect(r.honest).toBe(-r.honestCollateral);
      expect(r.treasury).toBe(r.honestCollateral + fee);
    });

    it("leaves the requester nothing to gain even when its identities bid 1 wei, so no fee is due", async () => {
      const { m } = ctx;
      const r = await requesterWithIdentities(m, 1n);
      expect(r.settled.slashed).toBe(r.honestCollateral);
      expect(r.coalition).toBe(0n);
      expect(r.treasury).toBe(r.honestCollateral);
    });
  });

  describe("reputation that cannot be bought", () => {
    /** Provider `i` posts a k = 1, 1-wei job as `requester` and takes it in one batch. */
    async function selfDealt(m: Deployed, requester: Account, provider: Account, n: number) {
      for (let j = 0; j < n; j++) {
        const params = m.jobParams({ replicas: 1, quorum: 1, maxPrice: 1n, manifestCid: cidOf(`self-${j}`).cid });
        await m.fund(requester.address, 1n);
        await m.token.write.approve([m.market.address, 1n], { account: requester });
        const hash = await m.market.write.postJob([params], { account: requester });
        const jobId = (await eventsOf(m, hash)).find((e) => e.eventName === "JobPosted")!.args.jobId as bigint;
        const { digest, cid } = cidOf("self");
        const salt = saltOf(`${jobId}`);
        await m.market.write.tryMulticall(
          [
            [
              encodeFunctionData({ abi: m.market.abi, functionName: "bidAndCommit", args: [jobId, 1n, commitment(jobId, provider.address, digest, salt)] }),
              encodeFunctionData({ abi: m.market.abi, functionName: "reveal", args: [jobId, cid, salt, cid] }),
            ],
          ],
          { account: provider },
        );
        expect((await m.market.read.getJob([jobId]).catch(() => ({ state: State.Succeeded }))).state).toBe(State.Succeeded);
      }
    }

    it("leaves reputation unchanged after 98 self-dealt k = 1 jobs at 1 wei (they used to reach 9,900 bps)", async () => {
      const { m } = ctx;
      const p = m.providers[0];
      const before = await m.market.read.getProvider([p.address]);
      await selfDealt(m, p, p, 98);
      const after = await m.market.read.getProvider([p.address]);
      expect(after.score).toBe(5_000);
      expect([after.awarded, after.agreed]).toEqual([before.awarded, before.agreed]);
    });

    it("gives nothing for unreplicated jobs posted from a second account either: nobody checked those results", async () => {
      const { m } = ctx;
      const p = m.providers[1];
      await selfDealt(m, m.requesters[1], p, 20);
      const after = await m.market.read.getProvider([p.address]);
      expect(after.score).toBe(5_000);
      expect([after.awarded, after.agreed]).toEqual([20, 20]); // counted as activity, not as trust
    });

    it("grows with the value others paid for replicated agreement, and a failure weighs the job's value whatever the bid", async () => {
      const { m } = ctx;
      // prior = minStake = 10 tokens; score = (agreed value + prior) / (judged value + 2 prior).
      const jobId = await m.post({ replicas: 2, quorum: 2, maxPrice: 10n * m.unit });
      await m.bidAndCommit(jobId, 0, 5n * m.unit);
      await m.bidAndCommit(jobId, 1, 5n * m.unit);
      await m.reveal(jobId, 0);
      await m.reveal(jobId, 1);
      expect((await m.market.read.getProvider([m.providers[0].address])).score).toBe(6_000); // 15 / 25

      // A 1-wei replicated job moves it by nothing measurable.
      const cheap = await m.post({ replicas: 2, quorum: 2, maxPrice: 1n });
      await m.bidAndCommit(cheap, 0, 1n);
      await m.bidAndCommit(cheap, 1, 1n);
      await m.reveal(cheap, 0);
      await m.reveal(cheap, 1);
      expect((await m.market.read.getProvider([m.providers[0].address])).score).toBe(6_000);

      // Provider 2 bids 1 wei on a 10-token job and never commits: judged at 10 tokens, not 1 wei.
      const missed = await m.post({ replicas: 2, quorum: 2, maxPrice: 10n * m.unit, bidWindow: 600 });
      await m.bid(missed, 2, 1n);
      await m.bid(missed, 1, 1n);
      await m.networkHelpers.time.increase(600);
      await m.market.write.award([missed]);
      await m.networkHelpers.time.increase(3_600);
      const settled = await eventsOf(m, await m.market.write.claim([missed]));
      expect(settled.filter((e) => e.eventName === "ReplicaSettled").map((e) => e.args.outcome)).toEqual([Outcome.MissedCommit, Outcome.MissedCommit]);
      expect((await m.market.read.getProvider([m.providers[2].address])).score).toBe(3_333); // 10 / 30
    });
  });

  // Two 1-wei identities deciding a k = 3, m = 2 job: answered by random selection, in
  // selection.test.ts ("gives two 1-wei identities at minimum stake each replica with about their
  // stake share"); with three bidders for three replicas no draw can help, which is why a pool
  // stays open for its window before anyone is drawn.
  describe("forced no-consensus", () => {
    // Escalation (item 4) answers it for a requester that allows more replicas than k; the full rules
    // are in escalation.test.ts.
    it("does not end a job NoConsensus, slashing nobody, on k - m + 1 garbage reveals when the requester allowed escalation", async () => {
      const { m } = ctx;
      const jobId = await m.post({ replicas: 3, quorum: 2, maxReplicas: 6 });
      for (const [i, r] of [[0, "right"], [1, "garbage 1"], [2, "garbage 2"]] as const) await m.bidAndCommit(jobId, i, m.unit, r);
      await m.reveal(jobId, 0, "right");
      await m.reveal(jobId, 1, "garbage 1");
      const events = await eventsOf(m, await m.reveal(jobId, 2, "garbage 2"));
      expect(events.find((e) => e.eventName === "JobSettled")).toBeUndefined();
      expect(events.find((e) => e.eventName === "JobEscalated")!.args).toMatchObject({ round: 1, extra: 3 });
    });
  });
});

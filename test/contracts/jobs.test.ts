import { describe, expect, it } from "vitest";
import { parseSignature, type Hex } from "viem";
import { cidOf, eventsOf, revertOf, State, type Deployed } from "./market.ts";
import { useMarket } from "./setup.ts";

async function signPermit(m: Deployed, r: number, value: bigint, deadline: bigint, signer = m.requesters[r]) {
  const owner = m.requesters[r];
  const chainId = await m.publicClient.getChainId();
  const nonce = await m.token.read.nonces([owner.address]);
  const wallet = m.wallets.find((w) => w.account.address.toLowerCase() === signer.address.toLowerCase())!;
  const signature = await wallet.signTypedData({
    account: wallet.account,
    domain: { name: "Accord Test", version: "1", chainId, verifyingContract: m.token.address },
    types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
    primaryType: "Permit",
    message: { owner: owner.address, spender: m.market.address, value, nonce, deadline },
  });
  const { v, r: rr, s } = parseSignature(signature);
  return { value, deadline, v: Number(v), r: rr, s };
}

for (const decimals of [6, 18]) {
  describe(`JobMarket jobs (${decimals}-decimal token)`, () => {
    const ctx = useMarket({ decimals, providers: 3 });

    it("escrows replicas * maxPrice plus the fee and reports the job", async () => {
      const { m } = ctx;
      const before = await m.token.read.balanceOf([m.market.address]);
      const jobId = await m.post({ replicas: 3, quorum: 2, maxPrice: 7n * m.unit, bidWindow: 600, minReputation: 100 });
      const escrow = 21n * m.unit + (21n * m.unit) / 100n;
      expect((await m.token.read.balanceOf([m.market.address])) - before).toBe(escrow);
      expect(await m.market.read.escrowOf([jobId])).toBe(escrow);
      const job = await m.market.read.getJob([jobId]);
      expect(job).toMatchObject({ requester: m.requesters[0].address, state: State.Open, replicas: 3, quorum: 2, bids: 0, maxPrice: 7n * m.unit, escrow, awardOnFill: false, minReputation: 100, protocolFeeBps: 100, collateralRatioBps: 10_000 });
      expect(jobId & 0xffffffffn).toBe(1n);
      expect(jobId >> 32n).toBe(1n);
    });

    it("emits the full manifest CID and the deadlines", async () => {
      const { m } = ctx;
      const manifest = cidOf("a manifest", true).cid;
      const params = m.jobParams({ manifestCid: manifest, replicas: 1, quorum: 1 });
      await m.fund(m.requesters[1].address, params.maxPrice * 2n);
      await m.token.write.approve([m.market.address, params.maxPrice * 2n], { account: m.requesters[1] });
      const hash = await m.market.write.postJob([params], { account: m.requesters[1] });
      const [e] = await eventsOf(m, hash);
      const block = await m.publicClient.getBlock();
      expect(e.eventName).toBe("JobPosted");
      expect(e.args).toMatchObject({ requester: m.requesters[1].address, manifestCid: manifest, replicas: 1, quorum: 1, awardOnFill: true, bidDeadline: block.timestamp + 1800n });
    });

    it("posts with a permit in one transaction", async () => {
      const { m } = ctx;
      const params = m.jobParams({ replicas: 1, quorum: 1 });
      const escrow = params.maxPrice + params.maxPrice / 100n;
      await m.fund(m.requesters[0].address, escrow);
      const permit = await signPermit(m, 0, escrow, 2n ** 40n);
      await m.market.write.postJobWithPermit([params, permit], { account: m.requesters[0] });
      expect(await m.token.read.balanceOf([m.market.address])).toBe(3_000n * m.unit + escrow);
    });

    it("rejects a permit with a wrong signature, naming the allowance it lacked", async () => {
      const { m } = ctx;
      const params = m.jobParams({ replicas: 1, quorum: 1 });
      const escrow = params.maxPrice + params.maxPrice / 100n;
      await m.fund(m.requesters[0].address, escrow);
      const forged = await signPermit(m, 0, escrow, 2n ** 40n, m.requesters[1]); // signed by someone else
      expect(await revertOf(m.market.write.postJobWithPermit([params, forged], { account: m.requesters[0] }))).toEqual({ name: "PermitFailed", args: [m.requesters[0].address, 0n, escrow] });
      // A permit already used (front-run) still works when the allowance is there.
      const permit = await signPermit(m, 0, escrow, 2n ** 40n);
      await m.token.write.permit([m.requesters[0].address, m.market.address, permit.value, permit.deadline, permit.v, permit.r, permit.s]);
      await m.market.write.postJobWithPermit([params, permit], { account: m.requesters[0] });
    });

    it("validates every job parameter with an error naming the value", async () => {
      const { m } = ctx;
      const post = (p: Parameters<typeof m.jobParams>[0]) => revertOf(m.market.write.postJob([m.jobParams(p)], { account: m.requesters[0] }));
      const bad: Hex[] = ["0x", "0x0155122000", `0x0055 1220${"00".repeat(32)}`.replace(" ", "") as Hex, `0x01711220${"00".repeat(32)}`, `0x01551320${"00".repeat(32)}`, `0x01551221${"00".repeat(33)}`];
      for (const cid of bad) expect(await post({ manifestCid: cid })).toEqual({ name: "InvalidCid", args: [cid] });
      expect(await post({ replicas: 0, quorum: 0 })).toEqual({ name: "ReplicasOutOfRange", args: [0n, 16n] });
      expect(await post({ replicas: 17, quorum: 9 })).toEqual({ name: "ReplicasOutOfRange", args: [17n, 16n] });
      expect(await post({ replicas: 4, quorum: 2 })).toEqual({ name: "QuorumOutOfRange", args: [2n, 4n] });
      expect(await post({ replicas: 3, quorum: 4 })).toEqual({ name: "QuorumOutOfRange", args: [4n, 3n] });
      expect(await post({ maxPrice: 0n })).toEqual({ name: "MaxPriceOutOfRange", args: [0n, 2n ** 80n - 1n] });
      expect(await post({ maxPrice: 2n ** 80n })).toEqual({ name: "MaxPriceOutOfRange", args: [2n ** 80n, 2n ** 80n - 1n] });
      expect(await post({ bidWindow: 7 * 86_400 + 1 })).toEqual({ name: "BidWindowTooLong", args: [604_801n, 604_800n] });
      expect(await post({ commitWindow: 59 })).toEqual({ name: "CommitWindowOutOfRange", args: [59n, 60n, 604_800n] });
      expect(await post({ revealWindow: 604_801 })).toEqual({ name: "RevealWindowOutOfRange", args: [604_801n, 60n, 604_800n] });
      expect(await post({ minReputation: 10_001 })).toEqual({ name: "MinReputationOutOfRange", args: [10_001n, 10_000n] });
      // Extremes that are allowed.
      await m.post({ replicas: 16, quorum: 9, maxPrice: 1n, commitWindow: 60, revealWindow: 604_800, minReputation: 10_000 });
    });

    it("lets only the requester cancel, only before the award, refunding the escrow and unlocking bids", async () => {
      const { m } = ctx;
      const jobId = await m.post({ replicas: 3, quorum: 2, bidWindow: 600 });
      await m.bid(jobId, 0, 5n * m.unit);
      expect(await revertOf(m.market.write.cancel([jobId], { account: m.requesters[1] }))).toEqual({ name: "NotRequester", args: [jobId, m.requesters[1].address, m.requesters[0].address] });
      const hash = await m.market.write.cancel([jobId], { account: m.requesters[0] });
      const settled = (await eventsOf(m, hash)).find((e) => e.eventName === "JobSettled")!;
      const escrow = 30n * m.unit + (30n * m.unit) / 100n;
      expect(settled.args).toMatchObject({ state: State.Cancelled, paid: 0n, fee: 0n, refunded: escrow, slashed: 0n });
      expect(await m.market.read.withdrawable([m.requesters[0].address])).toBe(escrow);
      expect((await m.market.read.getProvider([m.providers[0].address])).locked).toBe(0n);
      expect(await m.market.read.escrowOf([jobId])).toBe(0n);
      expect(await revertOf(m.market.write.cancel([jobId], { account: m.requesters[0] }))).toEqual({ name: "WrongJobState", args: [jobId, State.Cancelled, State.Open] });

      const awarded = await m.post({ replicas: 1, quorum: 1 });
      await m.bid(awarded, 0, m.unit);
      expect((await revertOf(m.market.write.cancel([awarded], { account: m.requesters[0] }))).name).toBe("WrongJobState");
    });

    it("reuses a finished job's record under a new id, and old ids stop resolving", async () => {
      const { m } = ctx;
      const first = await m.post();
      await m.market.write.cancel([first], { account: m.requesters[0] });
      const second = await m.post();
      expect(second & 0xffffffffn).toBe(first & 0xffffffffn);
      expect(second >> 32n).toBe((first >> 32n) + 1n);
      expect(await revertOf(m.market.read.getJob([first]))).toEqual({ name: "JobNotFound", args: [first] });
      expect(await revertOf(m.market.write.bid([first, 1n], { account: m.providers[0] }))).toEqual({ name: "JobNotFound", args: [first] });
      for (const id of [0n, 1n, 2n ** 32n, (5n << 32n) | 1n]) expect((await revertOf(m.market.read.getJob([id]))).name).toBe("JobNotFound");
      expect((await m.market.read.getJob([second])).state).toBe(State.Open);
      const third = await m.post();
      expect(third & 0xffffffffn).toBe(2n);
    });

    it("reuses records round-robin: a live record at the cursor is skipped for a fresh one", async () => {
      const { m } = ctx;
      const record = (id: bigint) => id & 0xffffffffn;
      const [a, b] = [await m.post(), await m.post()]; // records 1 and 2
      await m.market.write.cancel([b], { account: m.requesters[0] });
      // The cursor is at record 1, still live: the post takes record 3 and moves the cursor on to 2.
      const c = await m.post();
      expect([record(a), record(b), record(c)]).toEqual([1n, 2n, 3n]);
      // Record 2 ended: reused. Record 3 (live) at the cursor: a fresh record 4, cursor wraps to 1.
      expect(record(await m.post())).toBe(2n);
      expect(record(await m.post())).toBe(4n);
      await m.market.write.cancel([a], { account: m.requesters[0] });
      const again = await m.post();
      expect([record(again), again >> 32n]).toEqual([1n, 2n]);
      expect((await m.market.read.getJob([c])).state).toBe(State.Open);
    });

    it("pays everyone out through withdraw and nothing twice", async () => {
      const { m } = ctx;
      const jobId = await m.post({ replicas: 1, quorum: 1 });
      await m.bid(jobId, 0, 4n * m.unit);
      await m.commit(jobId, 0);
      await m.reveal(jobId, 0);
      const gross = 10n * m.unit;
      const fee = (4n * m.unit) / 100n;
      const refund = gross + gross / 100n - 4n * m.unit - fee;
      for (const [account, amount] of [[m.providers[0], 4n * m.unit], [m.requesters[0], refund], [m.treasury, fee]] as const) {
        expect(await m.market.read.withdrawable([account.address])).toBe(amount);
        const before = await m.token.read.balanceOf([account.address]);
        const hash = await m.market.write.withdraw({ account });
        expect((await eventsOf(m, hash))[0].args).toEqual({ account: account.address, amount });
        expect((await m.token.read.balanceOf([account.address])) - before).toBe(amount);
        expect(await revertOf(m.market.write.withdraw({ account }))).toEqual({ name: "NothingToWithdraw", args: [account.address] });
      }
      expect(await m.token.read.balanceOf([m.market.address])).toBe(3_000n * m.unit);
    });
  });
}

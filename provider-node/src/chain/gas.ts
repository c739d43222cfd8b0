import { MAX_REPLICAS } from "@accord/client/actions/chain";

/** The market calls a provider sends, batched or not. */
export type MarketFunction = "bid" | "bidAndCommit" | "award" | "commit" | "reveal" | "finalize" | "claim";

/**
 * Gas a market call may need beyond its own estimate because of what lands before it in the same
 * block. A call is estimated on the last block; on a chain whose blocks come every few seconds the
 * other winners' calls of the same job are mined in the same block, before ours, and then
 * - the last reveal also settles the job (a loop over its replicas: pay or slash, reputation,
 *   ReplicaSettled each, the requester's refund and the treasury's fee),
 * - the k-th bid awards it (JobAwarded, a Committed per committed bid, RevealOpened), or, with a bid
 *   window, finds the book full and displaces its worst entry (shifting the entries after it),
 * - the last commit opens the reveal phase, and a later book position scans more entries.
 * Estimated as if none of that happened, reveals ran out of gas with 2 s blocks (71-77k allowed,
 * ~122k needed). So every such call gets the worst case of that extra work on top of its estimate.
 *
 * The numbers are measured on the contract by test/provider/gasBounds.test.ts (k = 1..16, each
 * extra taken as the node's estimate of the call doing the extra work minus the least estimate of
 * the same call not doing it, so refunds are not counted as savings), which fails if a contract
 * change outgrows them. Worst cases measured there: every minority replica slashed into a zero
 * counter slot, a first credit for the requester and the treasury, every winner committed at the
 * award, a displacement of the first of 16 entries.
 *
 * Unused gas is refunded: the sender pays only the gas used, so a generous limit costs nothing but
 * block headroom (the block builder reserves the whole limit while it packs a block: a k = 3
 * reveal asks for ~190k instead of ~75k; 32 reveals of k = 16 jobs in one batch ~15M, half of a
 * 30M block).
 */

/**
 * Settlement by the last reveal, gas per replica. Measured (estimate of the settling reveal minus
 * the least plain reveal), with issue #13's value-weighted reputation, escalation's round
 * bookkeeping and its gas work (agreement bits, one SSTORE per provider slot): k = 2: 105,650;
 * 3: 121,094; 5: 170,505; 9: 272,167; 15: 431,867; 16: 455,447 (before the gas work 112,260 /
 * 123,084 / 174,214 / 279,314 / 444,170 / 468,632). A slashed replica costs ~44,000 (its stake slot,
 * its ProviderTrust slot written fresh at 22,100), an agreeing one of a replicated job ~22,000 when its
 * ProviderTrust slot is written for the first time (~5,000 after); every replica writes one or the
 * other, so the worst case is ~26,000 per replica.
 */
export const SETTLE_GAS_PER_REPLICA = 26_000n;
/**
 * Settlement's fixed part (requester credit written fresh: 22,100; treasury slot; minStake read for
 * the prior; the escalation cap's refund; JobSettled). Fit: ~61,400; the rest is margin, since the
 * per-replica fit (~25,500) leaves k = 2 closest to its bound.
 */
export const SETTLE_GAS_BASE = 66_000n;
/**
 * The awarding or displacing bid, gas per replica. Measured (worst of the k-th committed bid and a
 * displacing bid, minus the least bid): k = 2: 12,897; 9: 61,595; 15: 129,376; 16: 158,073
 * (a displacement shifts up to 15 entries and commitments: ~11,400 each).
 */
export const AWARD_GAS_PER_REPLICA = 11_000n;
export const AWARD_GAS_BASE = 10_000n;
/**
 * A bid that finds the job's pool full (16 entries, whatever k: issue #13's pool) and displaces its
 * lightest entry, the first at worst, shifting 15 entries and commitments (~11,400 each).
 * Measured by test/provider/gasBounds.test.ts; every bid gets it, since the node cannot know
 * whether the pool fills in the block before its bid lands.
 */
export const POOL_DISPLACE_GAS = 180_000n;
/**
 * An award estimated while the pool held at most k bids, mined after more landed: it then draws.
 * (A reveal sent to an Open job draws too, when every pool entry committed: the node sends such
 * reveals, and adds this and the awarding bound to the reveal's, see drawingRevealExtraGas.)
 * Measured (estimate of the award drawing k from a pool of 10 minus the award of a pool of k):
 * k = 1: 110,664; 2: 111,596; 3: 117,906; 8: 114,231; each entry more in the pool adds ~7,000 (its
 * unlock and BidDisplaced), so a pool of 16 needs ~160,000-175,000.
 */
export const POOL_DRAW_GAS = 200_000n;
/**
 * The commit that opens the reveal phase at the end of the book, gas per replica (one more entry
 * scanned, ~2,250 each) and fixed (RevealOpened). Measured: k = 2: 3,952; 3: 6,316; 8: 17,425; 16: 35,286.
 */
export const COMMIT_GAS_PER_REPLICA = 2_500n;
export const COMMIT_GAS_BASE = 5_000n;
/** Most replicas a job can have (the contract's bound, generated from Limits.sol): assumed when the node does not know a job's k. */
export { MAX_REPLICAS };

export const settleExtraGas = (k: number): bigint => SETTLE_GAS_BASE + SETTLE_GAS_PER_REPLICA * BigInt(k);
export const awardExtraGas = (k: number): bigint => AWARD_GAS_BASE + AWARD_GAS_PER_REPLICA * BigInt(k);
export const commitExtraGas = (k: number): bigint => COMMIT_GAS_BASE + COMMIT_GAS_PER_REPLICA * BigInt(k);

/**
 * A reveal sent to an Open job (the award riding in it): estimated on a block where it draws and
 * reveals, it may land after another entry's reveal that drew (then it only reveals, cheaper) or
 * do more than its estimate saw: draw from a pool that grew, and settle as the last reveal of the
 * block. So it gets the award's and the draw's bounds on top of the settlement's.
 */
export function drawingRevealExtraGas(replicas: number | undefined): bigint {
  return worstCaseExtraGas("reveal", replicas) + worstCaseExtraGas("award", replicas);
}

/**
 * Gas to add to a call's estimate for the worst the rest of its block can do to it, for a job with
 * `replicas` replicas (its winners once awarded; MAX_REPLICAS when unknown). award, finalize and
 * claim run after a deadline, when no other call of the job can land before them, but the block's
 * clock is later than the estimate's: a claim estimated as opening the reveal phase may settle the
 * job if the reveal deadline passes meanwhile, so they get the settlement bound too (and award the
 * award bound: an expiring award only unlocks collateral, which costs less).
 */
export function worstCaseExtraGas(fn: MarketFunction, replicas: number | undefined): bigint {
  const k = replicas !== undefined && replicas >= 1 && replicas <= MAX_REPLICAS ? replicas : MAX_REPLICAS;
  switch (fn) {
    case "reveal":
    case "finalize":
    case "claim":
      return settleExtraGas(k);
    case "bid":
    case "bidAndCommit":
      return awardExtraGas(k) > POOL_DISPLACE_GAS ? awardExtraGas(k) : POOL_DISPLACE_GAS;
    case "award":
      return awardExtraGas(k) + POOL_DRAW_GAS;
    case "commit":
      return commitExtraGas(k);
  }
}

/**
 * Each job's replica count as the node last saw it (JobPosted's replicas, then JobAwarded's
 * winners), for sizing its calls. Bounded: the oldest entries go first; a job forgotten (or
 * never seen, after a restart) is sized for MAX_REPLICAS, which is safe, only less tight.
 */
export class ReplicaCounts {
  private readonly map = new Map<bigint, number>();
  private readonly max: number;
  constructor(max = 10_000) {
    this.max = max;
  }
  set(jobId: bigint, replicas: number): void {
    this.map.delete(jobId);
    this.map.set(jobId, replicas);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  get(jobId: bigint): number | undefined {
    return this.map.get(jobId);
  }
  delete(jobId: bigint): void {
    this.map.delete(jobId);
  }
}

import { BPS, MAX_PROTOCOL_FEE_BPS, MAX_REPLICAS } from "@accord/client/actions/chain";

/**
 * The most replicas a job may reach by escalation (its maxReplicas), which JobPosted does not carry,
 * from what it does: the escrow covers exactly that many at the max price, plus the fee,
 * `escrow = c * maxPrice + floor(c * maxPrice * feeBps / 10_000)` (docs/PROTOCOL.md, "Job state
 * machine"). The fee is at most MAX_PROTOCOL_FEE_BPS (5 %), so the fee on c replicas stays under one
 * more maxPrice while c * 5 % < 1, that is for every c up to 16, and `escrow / maxPrice` rounds down
 * to c exactly, whatever fee the job was posted under. Undefined for figures no post could give.
 */
export function replicaCapOf(escrow: bigint, maxPrice: bigint): number | undefined {
  if (maxPrice <= 0n) return undefined;
  const cap = escrow / maxPrice;
  if (cap < 1n || cap > BigInt(MAX_REPLICAS)) return undefined;
  // Above the most any fee could add, the escrow was not made by the rule: say nothing rather than guess.
  if (escrow > cap * maxPrice + (cap * maxPrice * BigInt(MAX_PROTOCOL_FEE_BPS)) / BigInt(BPS)) return undefined;
  return Number(cap);
}

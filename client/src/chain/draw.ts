import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";

/**
 * The market's draw of replicas from a job's pool (docs/PROTOCOL.md, "Selection"), written once off
 * chain so anyone can check a draw from its inputs (the drawing block's prevrandao and parent hash,
 * the pool as `getReplicas` showed it before the award) and so models of the rules (bench:trust)
 * run the contract's own algorithm. test/contracts/selection.test.ts checks it against the contract.
 */

/** One pool entry as the contract stores it: provider, draw weight, price. */
export type PoolEntry = { provider: Address; weight: bigint; price: bigint };

/** The 256-bit word the contract keeps for a pool entry (BidEntry.pack). */
export function poolEntryWord(e: PoolEntry): bigint {
  return (BigInt(e.provider) << 96n) | (e.weight << 80n) | e.price;
}

/** `keccak256(abi.encode(prevrandao, parentHash, jobId, entries))`, as `_draw` computes it. */
export function drawSeed(prevrandao: bigint | Hex, parentHash: Hex, jobId: bigint, pool: readonly PoolEntry[]): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "bytes32" }, { type: "uint256" }, { type: "uint256[]" }],
      [BigInt(prevrandao), parentHash, jobId, pool.map(poolEntryWord)],
    ),
  );
}

/**
 * The pool indices drawn for `k` replicas, in the order the contract then keeps them as replicas
 * (`getReplicas`). Pick j is the entry at `keccak256(abi.encode(seed, j)) mod remaining weight` on
 * the cumulative weights of the entries not yet drawn, in the order the picks' swaps leave them (each
 * pick swaps into place j). The drawn then take the first k book slots with the fewest moves: a drawn
 * entry already in one of them stays, each other one (in pool order) fills the next slot an undrawn
 * entry left. A pool of k or fewer is taken whole, in pool order, as the contract awards it without a draw.
 */
export function drawIndices(seed: Hex, weights: readonly bigint[], k: number): number[] {
  const order = weights.map((_, i) => i);
  if (weights.length <= k) return order;
  let total = weights.reduce((a, b) => a + b, 0n);
  const drawn = new Set<number>();
  for (let j = 0; j < k; j++) {
    let r = BigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [seed, BigInt(j)]))) % total;
    let i = j;
    for (; r >= weights[order[i]!]!; i++) r -= weights[order[i]!]!;
    total -= weights[order[i]!]!;
    [order[i], order[j]] = [order[j]!, order[i]!];
    drawn.add(order[j]!);
  }
  const movers = order.map((_, i) => i).filter((i) => i >= k && drawn.has(i));
  return order.slice(0, k).map((_, slot) => (drawn.has(slot) ? slot : movers.shift()!));
}

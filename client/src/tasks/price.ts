import type { AccordClient } from "../client.ts";
import { InvalidJobParametersError } from "../actions/errors.ts";
import { estimateCost } from "../actions/estimateCost.ts";
import { getTokenInfo, parseAmount } from "../actions/internal/token.ts";
import type { TaskBag } from "./spec.ts";

export type PriceSource = "spec" | "estimate" | "state" | "option";

/** The largest fuel limit of the bag's tasks: providers price a job by its fuel limit. */
export const bagFuel = (bag: TaskBag) => bag.tasks.reduce((m, t) => Math.max(m, t.limits.fuel), 0);

/**
 * The max price per replica every attempt of the run offers: the one a run already posted with
 * (its state), else the caller's, else the spec's, else twice the clearing price of the providers'
 * on-chain asks for the bag's largest fuel limit (as `accord job submit` does).
 */
export async function resolveMaxPrice(
  client: AccordClient,
  bag: TaskBag,
  o: { stateMaxPrice?: string; optionMaxPrice?: bigint; signal?: AbortSignal },
): Promise<{ maxPrice: bigint; source: PriceSource }> {
  if (o.stateMaxPrice !== undefined) return { maxPrice: BigInt(o.stateMaxPrice), source: "state" };
  if (o.optionMaxPrice !== undefined) return { maxPrice: o.optionMaxPrice, source: "option" };
  if (bag.maxPrice !== "auto") return { maxPrice: parseAmount(bag.maxPrice, (await getTokenInfo(client)).decimals), source: "spec" };
  const est = await estimateCost(client, { replicas: bag.offer.replicas, fuel: bagFuel(bag), minReputation: bag.offer.minReputation, signal: o.signal });
  if (est.clearingPrice === undefined)
    throw new InvalidJobParametersError(
      "price.maxPrice",
      `only ${est.quotes.length} eligible provider(s) are registered for ${bag.offer.replicas} replica(s), so no price can be suggested`,
      'Set "price": {"maxPrice": "..."} in the spec (or --max-price), or ask for fewer replicas.',
    );
  return { maxPrice: est.maxPrice, source: "estimate" };
}

export type TasksEstimate = {
  maxPrice: bigint;
  source: PriceSource;
  tasks: number;
  /** The replicas each task's escrow covers: its escalation cap (k when it may not escalate). */
  maxReplicas: number;
  /**
   * Escrow one attempt locks (maxReplicas × max price + fee: an escalation is paid from it, and what
   * no round used is refunded at settlement), and all tasks' first attempts together.
   */
  escrowPerTask: bigint;
  escrowTotal: bigint;
  /** What the tasks most likely cost, from the providers' asks (winners are paid their own bids). */
  expectedTotal: bigint;
  /** The most the run can spend: every attempt of every task paid at the max price, escalated to its cap. */
  worstCaseTotal: bigint;
  /** Eligible providers quoting at or under the max price. */
  providersUnderPrice: number;
};

/** What running `tasks` of the bag will cost, before anything is paid. */
export async function estimateTasks(
  client: AccordClient,
  bag: TaskBag,
  o: { tasks?: number; stateMaxPrice?: string; optionMaxPrice?: bigint; signal?: AbortSignal } = {},
): Promise<TasksEstimate> {
  const { maxPrice, source } = await resolveMaxPrice(client, bag, o);
  const tasks = o.tasks ?? bag.tasks.length;
  const est = await estimateCost(client, { replicas: bag.offer.replicas, maxReplicas: bag.offer.maxReplicas, fuel: bagFuel(bag), maxPrice, minReputation: bag.offer.minReputation, signal: o.signal });
  const n = BigInt(tasks);
  return {
    maxPrice,
    source,
    tasks,
    maxReplicas: est.maxReplicas,
    escrowPerTask: est.escrow,
    escrowTotal: est.escrow * n,
    expectedTotal: est.expectedCost * n,
    worstCaseTotal: est.escrow * n * BigInt(bag.maxAttempts),
    providersUnderPrice: est.quotes.filter((q) => q.price <= maxPrice).length,
  };
}

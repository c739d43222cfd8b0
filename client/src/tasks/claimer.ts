import { encodeFunctionData } from "viem";
import type { AccordClient } from "../client.ts";
import { GAS_HEADROOM, writeMarket } from "../actions/chain/marketChain.ts";
import { jobMarketAbi } from "../generated/abi.ts";
import { sleep } from "./async.ts";

/** Jobs claimed in one transaction. */
export const MAX_CLAIMS_PER_TX = 64;
/** How often the jobs waiting to be claimed are sent. */
const CLAIM_FLUSH_MS = 1_000;

/**
 * Claims stuck jobs (phase deadline passed), many in one `tryMulticall`: a claim that another
 * party (a provider's batcher) made first fails alone inside it and costs the others nothing.
 * A job whose claim did not move it is handed in again by the follower's next deadline check.
 */
export async function claimLoop(client: AccordClient, queue: Set<bigint>, signal: AbortSignal, onError: (message: string) => void): Promise<void> {
  while (!signal.aborted) {
    await sleep(CLAIM_FLUSH_MS, signal);
    if (queue.size === 0 || signal.aborted) continue;
    const ids = [...queue].slice(0, MAX_CLAIMS_PER_TX);
    for (const id of ids) queue.delete(id);
    try {
      await writeMarket(client, {
        action: `Claiming ${ids.length} stuck job(s)`,
        functionName: "tryMulticall",
        args: [ids.map((id) => encodeFunctionData({ abi: jobMarketAbi, functionName: "claim", args: [id] }))],
        gasHeadroom: GAS_HEADROOM * BigInt(ids.length),
        signal,
      });
    } catch (err) {
      if (signal.aborted) return;
      onError(`claiming ${ids.length} stuck job(s) failed (${(err as { shortMessage?: string }).shortMessage ?? (err as Error).message}); they are tried again`);
    }
  }
}

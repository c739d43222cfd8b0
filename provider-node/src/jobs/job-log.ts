/**
 * What a job's own log says about it, for a node that never saw its post: JobEscalated carries
 * no manifest CID and getJob holds none (the contract keeps only its digest's slot), so a node
 * that started after the post learns what to evaluate from the JobPosted event, read back from
 * the escalation. The same read counts the replicas earlier rounds drew (their JobAwarded
 * winners), which sizes the gas of a settlement this node's reveal may trigger.
 */
import type { Address, PublicClient } from "viem";
import { getMarketEvents, LOG_RANGE_BLOCKS, toJobEvent, type MarketEvent } from "@accord/client/chain";

export type JobLog = {
  /** The manifest CID as text; hex when the bytes JobPosted carried are no CID. */
  manifestCid: string;
  requester: Address;
  /** The replicas the earlier rounds drew (their JobAwarded winners), before the event read back from. */
  earlierReplicas: number;
};

/** Where in the chain an event stands: the log is read back from it, the event and what follows it left out. */
export type LogPosition = { blockNumber: bigint; logIndex: number };

/**
 * The job's JobPosted and JobAwarded events up to `at`, read backwards from it in ranges public
 * RPCs accept, stopping at the range that holds the post (a job lives days at most, so a live
 * escalation finds its post within a few ranges) or at `floorBlock` (the market's deployment).
 * Undefined when no JobPosted is found.
 */
export async function readJobLog(client: PublicClient, market: Address, jobId: bigint, at: LogPosition, floorBlock = 0n, signal?: AbortSignal): Promise<JobLog | undefined> {
  let earlierReplicas = 0;
  const before = (ev: MarketEvent) => ev.blockNumber! < at.blockNumber || (ev.blockNumber === at.blockNumber && ev.logIndex! < at.logIndex);
  for (let to = at.blockNumber; to >= floorBlock; to -= LOG_RANGE_BLOCKS) {
    const from = to - LOG_RANGE_BLOCKS + 1n > floorBlock ? to - LOG_RANGE_BLOCKS + 1n : floorBlock;
    const events = (await getMarketEvents(client, { address: market, fromBlock: from, toBlock: to, events: ["JobPosted", "JobAwarded"], jobId, signal })).filter(before);
    for (const ev of events) if (ev.eventName === "JobAwarded") earlierReplicas += Number((ev.args as { winners: number }).winners);
    const posted = events.map((ev) => toJobEvent(ev)).find((ev) => ev?.type === "posted");
    if (posted?.type === "posted") return { manifestCid: posted.manifestCid, requester: posted.requester, earlierReplicas };
    if (from === floorBlock) break;
  }
  return undefined;
}

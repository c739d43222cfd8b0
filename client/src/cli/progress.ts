import type { DeclinesEvent, WatchJobEvent } from "../actions/watchJob.ts";
import type { TokenInfo } from "../actions/internal/token.ts";
import { activeBids } from "../chain/jobHistory.ts";
import { fmtTime, fmtTokens, short, type Output } from "./output.ts";

/** One human line per lifecycle event: what happened and how far the job is. */
export function renderEvent(out: Output, ev: WatchJobEvent, token: TokenInfo): void {
  const j = ev.job;
  const amt = (u: bigint) => fmtTokens(u, token.decimals, token.symbol);
  switch (ev.type) {
    case "posted":
      out.step(`  job ${ev.jobId}: ${j.replicas} replica(s), quorum ${j.quorum}, max ${amt(j.maxPrice)} each, bids until ${fmtTime(ev.bidDeadline)}`);
      break;
    case "bid":
      out.step(`… bids ${activeBids(j).length} for ${j.replicas} replica(s): ${short(ev.provider)} at ${amt(ev.price)}`);
      break;
    case "drawn":
      out.step(`✓ drew ${j.replicas} of ${ev.pool} bids at random, weighted by stake (seed ${ev.seed.slice(0, 10)}…)`);
      break;
    case "bidDisplaced":
      if (j.bids.find((b) => b.provider === ev.provider)?.notDrawn) out.step(`… ${short(ev.provider)} not drawn; its collateral is free again`);
      else out.step(`… bid of ${short(ev.provider)} (${amt(ev.price)}) left the full pool for a provider with more stake`);
      break;
    case "awarded":
      out.step(`✓ awarded to ${ev.winners} provider(s); commits due by ${fmtTime(ev.commitDeadline)}`);
      break;
    case "committed":
      out.step(`… commits ${j.committed.length}/${j.winners}: ${short(ev.provider)}`);
      break;
    case "revealOpened":
      out.step(`✓ reveal phase open until ${fmtTime(ev.revealDeadline)}`);
      break;
    case "revealed":
      out.step(`… reveals ${j.reveals.length}/${j.committed.length}: ${short(ev.provider)} → ${ev.resultCid}`);
      break;
    case "escalated":
      out.step(`↑ no result had the quorum: round ${ev.round} seeks ${ev.extra} more replica(s) from fresh providers, pool open until ${fmtTime(ev.poolCloses)}`);
      break;
    case "restituted":
      out.step(`  ${amt(ev.amount)} of the slashed collateral repaid the extra rounds`);
      break;
    case "replicaSettled":
      break;
    case "settled":
      out.step(`${ev.state === "Succeeded" ? "✓" : "✗"} settled: ${ev.state}; paid ${amt(ev.paid)}, refunded ${amt(ev.refunded)}${ev.slashed > 0n ? `, slashed ${amt(ev.slashed)}` : ""}`);
      break;
    case "declines":
      out.step(`… ${short(ev.provider)} ${declinesLine(ev)}`);
      break;
    case "deadlinePassed":
      out.step(`… ${ev.phase} deadline passed; claiming the job to move it on`);
      break;
  }
}

/** What a provider that has not bid said, in its own words (type-only use of the protocol: `job status` loads no libp2p). */
function declinesLine(ev: DeclinesEvent): string {
  const { reply } = ev;
  if (!reply.ok) return `could not say why it has not bid: ${(reply.error as { shortMessage?: string }).shortMessage ?? reply.error.message.split("\n")[0]}`;
  const why = reply.answer.reasons.map((r) => r.message).join("; ");
  if (reply.answer.status === "waiting") return `waits for capacity, and bids if it frees before the bid deadline: ${why}`;
  if (reply.answer.status === "unknown") return "has not seen the job (its node may be behind the chain, or on another market)";
  if (reply.answer.status === "evaluating") return `is still fetching the job: ${why}`;
  return `declines: ${why || "(no reason given)"}`;
}

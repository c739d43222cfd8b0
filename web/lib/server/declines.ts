import { askDeclines, createAccordClient } from "@accord/client/actions";
import { activeBids } from "@accord/client/chain";
import { declinesUnsupported, type DeclinesReply } from "@accord/client/net";
import { http } from "viem";
import type { JobDeclines, ProviderAnswer } from "../types.ts";
import { contentNode } from "./content.ts";
import type { JobRecord } from "./indexer.ts";
import { market } from "./market.ts";

/** Per provider: a silent node answers within this, or counts as unreachable. */
export const DECLINES_ASK_TIMEOUT_MS = 3_000;
/**
 * Answers are reused this long: the page asks on every new block, and each ask dials every
 * provider that has not bid. Providers change their minds only as their load changes.
 */
export const DECLINES_CACHE_MS = 4_000;

const g = globalThis as unknown as { __accordDeclines?: Map<string, { at: number; answer: Promise<JobDeclines> }> };

function answerOf(provider: `0x${string}`, reply: DeclinesReply): ProviderAnswer {
  if (reply.ok) return { provider, peerId: reply.peer, status: reply.answer.status, reasons: reply.answer.reasons };
  if (declinesUnsupported(reply)) return { provider, peerId: reply.peer, status: "silent", error: "its node does not answer why it declines (an older version)" };
  return { provider, peerId: reply.peer, status: "unreachable", error: (reply.error as { shortMessage?: string }).shortMessage ?? reply.error.message };
}

async function ask(job: JobRecord): Promise<JobDeclines> {
  const m = await market();
  const client = createAccordClient({ chain: m.ctx.chain, transport: http(m.ctx.config.rpcUrl), deployment: m.ctx.deployment, node: await contentNode() });
  const bidders = activeBids(job.history).map((b) => b.provider);
  const replies = await askDeclines(client, { jobId: job.history.jobId, skip: bidders, timeoutMs: DECLINES_ASK_TIMEOUT_MS });
  return { jobId: job.history.jobId.toString(), askedAt: Math.floor(Date.now() / 1000), open: true, answers: replies.map((r) => answerOf(r.provider, r.reply)) };
}

/**
 * Why the registered providers that have not bid for an open job have not: each one's own
 * account over /accord/declines/1.0.0, asked from the server's content node (a browser has no
 * libp2p transport that reaches a provider's TCP listener), or why it could not be asked.
 */
export function jobDeclines(job: JobRecord): Promise<JobDeclines> {
  const cache = (g.__accordDeclines ??= new Map());
  const key = job.history.jobId.toString();
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < DECLINES_CACHE_MS) return hit.answer;
  const answer = ask(job);
  cache.set(key, { at: Date.now(), answer });
  answer.catch(() => cache.delete(key));
  for (const [k, v] of cache) if (Date.now() - v.at > DECLINES_CACHE_MS) cache.delete(k);
  return answer;
}

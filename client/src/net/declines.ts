// `/accord/declines/1.0.0`: a requester asks a provider why it has not bid for a job, and the
// provider answers with its own structured reasons (the rule of its bidding policy that refused
// the job, with the figures it used; their words and schema are in ../declineReasons.ts).
// Request and answer are small JSON documents on the request/response framing of protocol.ts;
// the answer is validated in full on receipt, since any peer can answer anything.
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";
import type { BaseError } from "../errors.ts";
import { decodeDeclinesAnswer, DECLINES_PROTOCOL, encodeDeclinesAnswer, type DeclinesAnswer, type DeclinesStatement } from "../declineReasons.ts";
import type { PeerTarget, DialProtocolOptions, HandleProtocolOptions, ProtocolHandler } from "./protocol.ts";

export {
  decodeDeclinesAnswer,
  DECLINE_STATUSES,
  DECLINES_PROTOCOL,
  encodeDeclinesAnswer,
  InvalidDeclinesAnswerError,
  MAX_DECLINE_MESSAGE_CHARS,
  MAX_DECLINE_REASONS,
  type DeclineCode,
  type DeclineReason,
  type DeclinesAnswer,
  type DeclinesStatement,
  type DeclineStatus,
} from "../declineReasons.ts";

/** A request is `{"jobId":"<decimal>"}`: nothing longer is read. */
export const DECLINES_MAX_REQUEST_BYTES = 256;
/** An answer holds at most MAX_DECLINE_REASONS reasons of bounded strings: 16 KiB is plenty. */
export const DECLINES_MAX_ANSWER_BYTES = 16 * 1024;
/** Dial, ask and read the answer, per provider. */
export const DECLINES_TIMEOUT_MS = 5_000;
/** Providers asked at once by askPeerDeclines. */
export const DECLINES_CONCURRENCY = 16;

const requestSchema = z.object({ jobId: z.string().regex(/^\d{1,78}$/) }).strict();

/** The job a request asks about; throws (sent back to the dialer as the error message) when it is not one. */
export function decodeDeclinesRequest(bytes: Uint8Array): bigint {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Error('the request is not JSON; send {"jobId":"<decimal id>"}');
  }
  const parsed = requestSchema.safeParse(json);
  if (!parsed.success) throw new Error('the request must be {"jobId":"<decimal id>"}');
  return BigInt(parsed.data.jobId);
}

type ServingNode = { handleProtocol(protocol: string, handler: ProtocolHandler, options?: HandleProtocolOptions): Promise<void> };

/** Answers DECLINES_PROTOCOL on `node` with what `statementFor` says about the asked job (a provider node calls this). */
export async function serveDeclines(node: ServingNode, statementFor: (jobId: bigint) => DeclinesStatement): Promise<void> {
  await node.handleProtocol(
    DECLINES_PROTOCOL,
    async (request) => {
      const jobId = decodeDeclinesRequest(request);
      return encodeDeclinesAnswer(jobId, statementFor(jobId));
    },
    { maxRequestBytes: DECLINES_MAX_REQUEST_BYTES, timeoutMs: DECLINES_TIMEOUT_MS },
  );
}

type AskingNode = {
  readonly libp2p: Pick<Libp2p, "getConnections" | "peerStore">;
  dialProtocol(peer: PeerTarget, protocol: string, request: Uint8Array, options?: DialProtocolOptions): Promise<Uint8Array>;
};

/** One peer's reply: its validated answer, or why there is none (unreachable, refused, timed out, invalid). */
export type DeclinesReply = { peer: string; ok: true; answer: DeclinesAnswer } | { peer: string; ok: false; error: Error };

export type AskPeerDeclinesParameters = {
  jobId: bigint;
  /**
   * Whom to ask: each a peer id, a multiaddr or a list of one peer's multiaddrs (ending in
   * /p2p/<peer id>). Default: every connected peer that advertises DECLINES_PROTOCOL.
   */
  peers?: Array<{ peer: string; target: PeerTarget | string[] }>;
  timeoutMs?: number;
  signal?: AbortSignal;
};

/**
 * Asks providers why they have not bid for `jobId`. Never throws for a peer's failure (each
 * reply says what went wrong), only when `signal` aborts.
 */
export async function askPeerDeclines(node: AskingNode, parameters: AskPeerDeclinesParameters): Promise<DeclinesReply[]> {
  const { jobId, signal } = parameters;
  const peers = parameters.peers ?? (await connectedDeclinesPeers(node));
  const request = new TextEncoder().encode(JSON.stringify({ jobId: jobId.toString() }));
  const replies: DeclinesReply[] = [];
  for (let i = 0; i < peers.length; i += DECLINES_CONCURRENCY) {
    signal?.throwIfAborted();
    replies.push(
      ...(await Promise.all(
        peers.slice(i, i + DECLINES_CONCURRENCY).map(async ({ peer, target }): Promise<DeclinesReply> => {
          try {
            const bytes = await node.dialProtocol(Array.isArray(target) && typeof target[0] === "string" ? (target as string[]).map((a) => multiaddr(a)) : (target as PeerTarget), DECLINES_PROTOCOL, request, { maxResponseBytes: DECLINES_MAX_ANSWER_BYTES, timeoutMs: parameters.timeoutMs ?? DECLINES_TIMEOUT_MS, signal });
            return { peer, ok: true, answer: decodeDeclinesAnswer(bytes, jobId, peer) };
          } catch (err) {
            if (signal?.aborted) throw err;
            return { peer, ok: false, error: err instanceof Error ? err : new Error(String(err)) };
          }
        }),
      )),
    );
  }
  return replies;
}

async function connectedDeclinesPeers(node: AskingNode): Promise<Array<{ peer: string; target: PeerTarget }>> {
  const ids = new Map(node.libp2p.getConnections().map((c) => [c.remotePeer.toString(), c.remotePeer]));
  const out: Array<{ peer: string; target: PeerTarget }> = [];
  for (const [peer, id] of ids) {
    const known = await node.libp2p.peerStore.get(id).catch(() => undefined);
    if (known?.protocols.includes(DECLINES_PROTOCOL)) out.push({ peer, target: id });
  }
  return out;
}

/** The peer was reached but does not speak DECLINES_PROTOCOL (an older version, or not a provider's node): it is silent, not broken. */
export function declinesUnsupported(reply: DeclinesReply): boolean {
  if (reply.ok) return false;
  for (let e: unknown = reply.error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) if ((e as Error).name === "UnsupportedProtocolError") return true;
  return false;
}

/** One line for a person: what the provider said, or why it could not be asked. */
export function describeDeclinesReply(reply: DeclinesReply): string {
  if (!reply.ok) return `could not be asked: ${(reply.error as BaseError).shortMessage ?? reply.error.message.split("\n")[0]}`;
  const { status, reasons } = reply.answer;
  const why = reasons.map((r) => r.message).join("; ");
  switch (status) {
    case "unknown":
      return "has not seen the job";
    case "evaluating":
      return why ? `is still fetching the job: ${why}` : "is still fetching and checking the job";
    case "bid":
      return "bid for the job";
    case "waiting":
      return `waits for capacity and will bid if it frees before the bid deadline: ${why}`;
    case "declined":
      return `declines: ${why || "(no reason given)"}`;
  }
}

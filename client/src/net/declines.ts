import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { z } from "zod";
import { BaseError } from "../errors.ts";
import type { PeerTarget, DialProtocolOptions, HandleProtocolOptions, ProtocolHandler } from "./protocol.ts";

/**
 * `/accord/declines/1.0.0`: a requester asks a provider why it has not bid for a job, and the
 * provider answers with its own structured reasons (the rule of its bidding policy that
 * refused the job, with the figures it used). Request and answer are small JSON documents on
 * the request/response framing of protocol.ts; the answer is validated in full on receipt,
 * since any peer can answer anything.
 */
export const DECLINES_PROTOCOL = "/accord/declines/1.0.0";
/** A request is `{"jobId":"<decimal>"}`: nothing longer is read. */
export const DECLINES_MAX_REQUEST_BYTES = 256;
/** An answer holds at most MAX_DECLINE_REASONS reasons of bounded strings: 16 KiB is plenty. */
export const DECLINES_MAX_ANSWER_BYTES = 16 * 1024;
/** Dial, ask and read the answer, per provider. */
export const DECLINES_TIMEOUT_MS = 5_000;
export const MAX_DECLINE_REASONS = 8;
export const MAX_DECLINE_MESSAGE_CHARS = 512;
/** Providers asked at once by askPeerDeclines. */
export const DECLINES_CONCURRENCY = 16;

const uint = z.string().regex(/^\d{1,78}$/, "a decimal integer");
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const message = z.string().max(MAX_DECLINE_MESSAGE_CHARS);

const KNOWN_REASONS = [
  /** The job's maxPrice is below this provider's price; `breakdown` sums to `price` (or `price` is `minPrice`). */
  z.object({ code: z.literal("price"), message, maxPrice: uint, price: uint, breakdown: z.object({ fuel: uint, memory: uint, input: uint, minPrice: uint }).strict() }).strict(),
  /** The commit window is too short for the job alone: it would need `needSeconds`. */
  z.object({ code: z.literal("window"), message, commitWindowSeconds: count, needSeconds: count, estRunMs: count }).strict(),
  /** Busy now: the queue is full or the job would finish too late behind it. The provider reconsiders while bidding is open. */
  z.object({ code: z.literal("capacity"), message, queuedJobs: count, maxQueuedJobs: count, finishMs: count.optional(), budgetMs: count.optional() }).strict(),
  /** Its free stake cannot cover the collateral a bid locks now (it frees as its other jobs settle). */
  z.object({ code: z.literal("stake"), message, collateral: uint, freeStake: uint }).strict(),
  /** The fuel budget needs more time at this provider's speed than the manifest's wall-clock backstop allows. */
  z.object({ code: z.literal("backstop"), message, estRunMs: count, wallClockMs: count }).strict(),
  /** The manifest asks more than one of this provider's limits (`limit` names it). */
  z.object({ code: z.literal("limits"), message, limit: z.string().max(64), asked: count, max: count }).strict(),
  /** A rule about the requester or the provider itself: deny or allow list, reputation, registration, bidding closed. */
  z.object({ code: z.literal("policy"), message, rule: z.string().max(64) }).strict(),
  /** The manifest, module or inputs are invalid or could not be fetched; `error` is what the provider met. */
  z.object({ code: z.literal("manifest"), message, error: message }).strict(),
  /** Anything else, told in words. */
  z.object({ code: z.literal("other"), message }).strict(),
] as const;
const KNOWN_CODES = new Set(KNOWN_REASONS.map((s) => s.shape.code.value));

const knownReason = z.discriminatedUnion("code", KNOWN_REASONS);
/** A code this version does not know (a newer provider) keeps its words; a known code must have its exact shape. */
const futureReason = z
  .object({ code: z.string().max(32).refine((c) => !KNOWN_CODES.has(c as never), "a known code with the wrong fields"), message })
  .transform((r) => ({ code: "other" as const, message: `${r.message} (${r.code})` }));
const reason = z.union([knownReason, futureReason]);

export type DeclineReason = z.infer<typeof knownReason>;
export type DeclineCode = DeclineReason["code"];

/**
 * Where the job stands for the provider: never seen, still fetching and checking it, waiting
 * for capacity (it will bid if a slot frees before the bid deadline), bid (or bid and lost), or
 * declined for good.
 */
export const DECLINE_STATUSES = ["unknown", "evaluating", "waiting", "bid", "declined"] as const;
export type DeclineStatus = (typeof DECLINE_STATUSES)[number];

const answerSchema = z
  .object({
    v: z.literal(1),
    jobId: uint,
    provider: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address"),
    status: z.enum(DECLINE_STATUSES),
    reasons: z.array(reason).max(MAX_DECLINE_REASONS),
  })
  .strict();

export type DeclinesAnswer = { jobId: bigint; provider: `0x${string}`; status: DeclineStatus; reasons: DeclineReason[] };

/** What a provider tells about a job; `provider` is its on-chain address. */
export type DeclinesStatement = { provider: `0x${string}`; status: DeclineStatus; reasons: readonly DeclineReason[] };

export class InvalidDeclinesAnswerError extends BaseError {
  override name = "InvalidDeclinesAnswerError";
  readonly peer: string;
  constructor(peer: string, reason: string) {
    super(`${peer} sent an invalid answer to ${DECLINES_PROTOCOL}: ${reason}.`, {
      fix: "Ignore this peer's reasons; if it is a registered provider, its operator should upgrade or fix its node.",
    });
    this.peer = peer;
  }
}

const clip = (s: string) => (s.length > MAX_DECLINE_MESSAGE_CHARS ? `${s.slice(0, MAX_DECLINE_MESSAGE_CHARS - 1)}…` : s);

/** The answer's bytes; messages are clipped and reasons capped so an honest answer always validates. */
export function encodeDeclinesAnswer(jobId: bigint, statement: DeclinesStatement): Uint8Array {
  const reasons = statement.reasons.slice(0, MAX_DECLINE_REASONS).map((r) => ({ ...r, message: clip(r.message), ...("error" in r ? { error: clip(r.error) } : {}) }));
  return new TextEncoder().encode(JSON.stringify({ v: 1, jobId: jobId.toString(), provider: statement.provider, status: statement.status, reasons }));
}

/** Validates an answer from `peer` about `jobId`; anything else is an InvalidDeclinesAnswerError. */
export function decodeDeclinesAnswer(bytes: Uint8Array, jobId: bigint, peer: string): DeclinesAnswer {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new InvalidDeclinesAnswerError(peer, "it is not UTF-8 JSON");
  }
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new InvalidDeclinesAnswerError(peer, first.join("; "));
  }
  if (BigInt(parsed.data.jobId) !== jobId) throw new InvalidDeclinesAnswerError(peer, `it is about job ${parsed.data.jobId}, not ${jobId}`);
  return { jobId, provider: parsed.data.provider as `0x${string}`, status: parsed.data.status, reasons: parsed.data.reasons as DeclineReason[] };
}

const requestSchema = z.object({ jobId: uint }).strict();

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
      return "is still fetching and checking the job";
    case "bid":
      return "bid for the job";
    case "waiting":
      return `waits for capacity and will bid if it frees before the bid deadline: ${why}`;
    case "declined":
      return `declines: ${why || "(no reason given)"}`;
  }
}

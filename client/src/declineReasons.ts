/**
 * The words of `/accord/declines/1.0.0` (net/declines.ts carries them): why a provider has not
 * bid for a job, as structured reasons, and the answer that holds them, validated in full on
 * receipt since any peer can answer anything. Apart from the transport so that the provider's
 * policy, the requester's errors and browser code can use them without libp2p.
 */
import { z } from "zod";
import { BaseError } from "./errors.ts";

export const DECLINES_PROTOCOL = "/accord/declines/1.0.0";
export const MAX_DECLINE_REASONS = 8;
export const MAX_DECLINE_MESSAGE_CHARS = 512;

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

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { askPeerDeclines, declinesUnsupported, decodeDeclinesAnswer, DECLINES_PROTOCOL, describeDeclinesReply, encodeDeclinesAnswer, InvalidDeclinesAnswerError, MAX_DECLINE_MESSAGE_CHARS, serveDeclines, type DeclineReason, type DeclinesReply } from "./declines.ts";
import { MessageTooLargeError, ProtocolError, RemoteProtocolError } from "./errors.ts";
import { createAccordNode, type AccordNode } from "./node.ts";

const PROVIDER = "0x00000000000000000000000000000000000000aa" as const;
const WINDOW: DeclineReason = { code: "window", message: "the job needs a commit window of 100 s here; it has 60 s", commitWindowSeconds: 60, needSeconds: 100, estRunMs: 50_000 };
const PRICE: DeclineReason = { code: "price", message: "the job pays at most 5 per replica, this node asks 1001", maxPrice: "5", price: "1001", breakdown: { fuel: "1000", memory: "1", input: "0", minPrice: "1" } };

let dir: string;
let asker: AccordNode;
let honest: AccordNode;
let hostile: AccordNode;
/** What the hostile peer answers, switched per test. */
let hostileAnswer: (jobId: bigint, signal: AbortSignal) => Promise<Uint8Array> = async () => new Uint8Array();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-declines-"));
  honest = await createAccordNode({ dataDir: join(dir, "honest") });
  hostile = await createAccordNode({ dataDir: join(dir, "hostile") });
  await serveDeclines(honest, (jobId) => (jobId === 7n ? { provider: PROVIDER, status: "declined", reasons: [WINDOW, PRICE] } : { provider: PROVIDER, status: "unknown", reasons: [] }));
  await hostile.handleProtocol(DECLINES_PROTOCOL, async (request, { signal }) => hostileAnswer(BigInt(JSON.parse(new TextDecoder().decode(request)).jobId), signal));
  asker = await createAccordNode({ dataDir: join(dir, "asker"), bootstrap: [honest.multiaddrs[0]!.toString(), hostile.multiaddrs[0]!.toString()] });
});

afterAll(async () => {
  await Promise.all([asker?.stop(), honest?.stop(), hostile?.stop()]);
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

const ask = (node: AccordNode, jobId: bigint, timeoutMs?: number) => askPeerDeclines(asker, { jobId, timeoutMs, peers: [{ peer: node.peerId.toString(), target: node.multiaddrs[0]!.toString() }] });
const only = (replies: DeclinesReply[]) => {
  expect(replies).toHaveLength(1);
  return replies[0]!;
};

describe("/accord/declines/1.0.0", () => {
  it("carries a provider's structured reasons, every figure intact", async () => {
    const reply = only(await ask(honest, 7n));
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    expect(reply.answer).toEqual({ jobId: 7n, provider: PROVIDER, status: "declined", reasons: [WINDOW, PRICE] });
    expect(describeDeclinesReply(reply)).toBe(`declines: ${WINDOW.message}; ${PRICE.message}`);
    expect(only(await ask(honest, 8n))).toMatchObject({ ok: true, answer: { status: "unknown", reasons: [] } });
  });

  it("asks, by default, every connected peer that speaks the protocol", async () => {
    hostileAnswer = async (jobId) => encodeDeclinesAnswer(jobId, { provider: PROVIDER, status: "bid", reasons: [] });
    // identify tells each side the other's protocols shortly after the connection.
    let replies: DeclinesReply[] = [];
    for (let i = 0; i < 100 && replies.length < 2; i++) {
      replies = await askPeerDeclines(asker, { jobId: 7n });
      if (replies.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(replies.map((r) => r.peer).sort()).toEqual([honest.peerId.toString(), hostile.peerId.toString()].sort());
  });

  it("turns a hostile peer's garbage into a clear error for that peer, never a crash", async () => {
    const cases: Array<[string, (jobId: bigint) => Uint8Array, RegExp]> = [
      ["not JSON", () => new TextEncoder().encode("<html>"), /not UTF-8 JSON/],
      ["not UTF-8", () => Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d), /not UTF-8 JSON/],
      ["a JSON array", () => new TextEncoder().encode("[1,2,3]"), /\(root\)/],
      ["another job", () => encodeDeclinesAnswer(8n, { provider: PROVIDER, status: "declined", reasons: [] }), /about job 8, not 7/],
      ["a known code with the wrong fields", (jobId) => json({ v: 1, jobId: `${jobId}`, provider: PROVIDER, status: "declined", reasons: [{ code: "price", message: "x", price: -1 }] }), /reasons\.0/],
      ["a reason with an extra field", (jobId) => json({ v: 1, jobId: `${jobId}`, provider: PROVIDER, status: "declined", reasons: [{ ...WINDOW, exploit: "__proto__" }] }), /reasons\.0/],
      ["too many reasons", (jobId) => json({ v: 1, jobId: `${jobId}`, provider: PROVIDER, status: "declined", reasons: Array(9).fill(WINDOW) }), /reasons/],
      ["an overlong message", (jobId) => json({ v: 1, jobId: `${jobId}`, provider: PROVIDER, status: "declined", reasons: [{ code: "other", message: "x".repeat(MAX_DECLINE_MESSAGE_CHARS + 1) }] }), /reasons\.0/],
      ["a status it made up", (jobId) => json({ v: 1, jobId: `${jobId}`, provider: PROVIDER, status: "maybe", reasons: [] }), /status/],
      ["a number for an amount", (jobId) => json({ v: 1, jobId: `${jobId}`, provider: PROVIDER, status: "declined", reasons: [{ ...PRICE, price: 1001 }] }), /reasons\.0/],
    ];
    for (const [what, answer, error] of cases) {
      hostileAnswer = async (jobId) => answer(jobId);
      const reply = only(await ask(hostile, 7n));
      expect(reply.ok, what).toBe(false);
      if (reply.ok) continue;
      expect(reply.error, what).toBeInstanceOf(InvalidDeclinesAnswerError);
      expect(reply.error.message, what).toMatch(error);
      expect(describeDeclinesReply(reply), what).toMatch(/^could not be asked: .* sent an invalid answer/);
    }
  });

  it("refuses an answer past its size cap and gives up on a peer that never answers", async () => {
    hostileAnswer = async () => new Uint8Array(1024 * 1024).fill(0x20);
    const big = only(await ask(hostile, 7n));
    expect(big.ok).toBe(false);
    if (!big.ok) expect(big.error).toBeInstanceOf(MessageTooLargeError);

    hostileAnswer = (_jobId, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    const silent = only(await ask(hostile, 7n, 500));
    expect(silent.ok).toBe(false);
    if (!silent.ok) {
      expect(silent.error).toBeInstanceOf(ProtocolError);
      expect(silent.error.message).toMatch(/no answer within 500 ms/);
    }
    // The honest peer still answers beside it.
    expect(only(await ask(honest, 7n)).ok).toBe(true);
  });

  it("tells a peer that does not speak the protocol (silent) from one that is broken", async () => {
    const replies = await askPeerDeclines(honest, { jobId: 7n, peers: [{ peer: asker.peerId.toString(), target: asker.multiaddrs[0]!.toString() }] });
    const reply = only(replies);
    expect(reply.ok).toBe(false);
    expect(declinesUnsupported(reply)).toBe(true);
    hostileAnswer = async () => new TextEncoder().encode("{}");
    expect(declinesUnsupported(only(await ask(hostile, 7n)))).toBe(false);
  });

  it("tells the asker what a provider refused in its request", async () => {
    const err = await asker.dialProtocol(honest.multiaddrs[0]!.toString(), DECLINES_PROTOCOL, new TextEncoder().encode('{"job":1}')).catch((e) => e);
    expect(err).toBeInstanceOf(RemoteProtocolError);
    expect(err.message).toMatch(/must be \{"jobId":"<decimal id>"\}/);
  });

  it("clips an honest provider's long messages so its answer always validates", () => {
    const long: DeclineReason = { code: "manifest", message: "m".repeat(5000), error: "e".repeat(5000) };
    const bytes = encodeDeclinesAnswer(1n, { provider: PROVIDER, status: "declined", reasons: Array(20).fill(long) });
    const answer = decodeDeclinesAnswer(bytes, 1n, "self");
    expect(answer.reasons).toHaveLength(8);
    expect(answer.reasons[0]!.message.length).toBe(MAX_DECLINE_MESSAGE_CHARS);
  });

  it("keeps the words of a reason code from a newer version", () => {
    const bytes = json({ v: 1, jobId: "1", provider: PROVIDER, status: "declined", reasons: [{ code: "gpu", message: "no GPU here", gpu: "none" }] });
    expect(decodeDeclinesAnswer(bytes, 1n, "peer").reasons).toEqual([{ code: "other", message: "no GPU here (gpu)" }]);
  });
});

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

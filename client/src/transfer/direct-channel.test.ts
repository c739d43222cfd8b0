import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connectDirectChannel } from "./channel-dialer.ts";
import { DirectChannelListener, type ChannelSender } from "./channel-listener.ts";
import { newTicket, RECORD, RecordReader, tagRecord } from "./channel-records.ts";
import { DirectChannelError } from "./errors.ts";

const limits = { host: "127.0.0.1", port: 0, ticketTimeoutMs: 2_000, maxChannels: 4, idleTimeoutMs: 5_000, highWaterBytes: 1024 * 1024 };
const listeners: DirectChannelListener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

async function listener(): Promise<DirectChannelListener> {
  const l = new DirectChannelListener(limits);
  await l.listen();
  listeners.push(l);
  return l;
}

/** Feeds `bytes` to an opener in pieces of `step`, as reads would, and returns what it opened. */
function feed(opener: RecordReader, bytes: Uint8Array, step = 7): Array<{ type: number; payload: Uint8Array }> {
  const out = [];
  let at = 0;
  while (at < bytes.length) {
    const into = opener.buffer();
    const n = Math.min(into.length, step, bytes.length - at);
    into.set(bytes.subarray(at, at + n));
    at += n;
    const record = opener.filled(n);
    if (record) out.push(record);
  }
  return out;
}

const wire = (...records: Array<[Uint8Array, Uint8Array, Uint8Array]>) => Buffer.concat(records.flat());

describe("authenticated records", () => {
  const { key } = newTicket();
  const payload = Buffer.from("a block's bytes");

  it("open in order, read in any pieces", () => {
    const opened = feed(new RecordReader(key, 1024), wire(tagRecord(key, 0, RECORD.accept, new Uint8Array(0)), tagRecord(key, 1, RECORD.data, payload)));
    expect(opened.map((r) => r.type)).toEqual([RECORD.accept, RECORD.data]);
    expect(Buffer.from(opened[1].payload).equals(payload)).toBe(true);
  });

  it("refuse a changed byte, a changed header, a reordered or injected record, and a wrong key", () => {
    const good = tagRecord(key, 0, RECORD.data, payload);
    const flipped = wire(good);
    flipped[10] ^= 1;
    expect(() => feed(new RecordReader(key, 1024), flipped)).toThrow(DirectChannelError);
    const retyped = wire(good);
    retyped[0] = RECORD.error;
    expect(() => feed(new RecordReader(key, 1024), retyped)).toThrow(/failed authentication/);
    // Record 1 where record 0 belongs (a replay, or one cut out before it).
    expect(() => feed(new RecordReader(key, 1024), wire(tagRecord(key, 1, RECORD.data, payload)))).toThrow(/failed authentication/);
    // Tagged by someone without this channel's key.
    expect(() => feed(new RecordReader(key, 1024), wire(tagRecord(newTicket().key, 0, RECORD.data, payload)))).toThrow(/failed authentication/);
  });

  it("carry the payload as is (blocks are public and checked against their CIDs), under a tag that covers it", () => {
    const [header, body, tag] = tagRecord(key, 0, RECORD.data, payload);
    expect(body).toBe(payload);
    expect(header.length + tag.length).toBe(5 + 16);
  });

  it("refuse a record over the limit before reading it", () => {
    expect(() => feed(new RecordReader(key, 8), wire(tagRecord(key, 0, RECORD.data, payload)))).toThrow(/over the 8-byte limit/);
  });
});

describe("direct channels", () => {
  const options = { maxRecordBytes: 1024 * 1024, highWaterBytes: 1024 * 1024, idleTimeoutMs: 5_000, connectTimeoutMs: 2_000 };

  it("carry records from the listener to the ticket's holder, once", async () => {
    const l = await listener();
    const ticket = l.issue((sender) => void send(sender, ["one", "two"]))!;
    const receiver = await connectDirectChannel("127.0.0.1", l.port, ticket, { ...options, signal: new AbortController().signal });
    const got = [];
    for await (const r of receiver.records) got.push(new TextDecoder().decode(r.payload));
    expect(got).toEqual(["one", "two"]);
    // The ticket was used up.
    await expect(connectDirectChannel("127.0.0.1", l.port, ticket, { ...options, signal: new AbortController().signal })).rejects.toThrow(/did not accept the ticket/);
  });

  it("drop a connection that knows the ticket id but not the key, and still accept the real holder", async () => {
    const l = await listener();
    let opened = 0;
    const ticket = l.issue((sender) => {
      opened++;
      void send(sender, ["for the holder"]);
    })!;
    const stolen = { id: ticket.id, key: newTicket().key };
    await expect(connectDirectChannel("127.0.0.1", l.port, stolen, { ...options, signal: new AbortController().signal })).rejects.toThrow(DirectChannelError);
    // Raw bytes that are not a hello at all.
    await new Promise<void>((resolve) => {
      const s = connect(l.port, "127.0.0.1", () => s.write(Buffer.alloc(64, 1)));
      s.on("close", () => resolve());
      s.on("error", () => {});
    });
    expect(opened).toBe(0);
    const receiver = await connectDirectChannel("127.0.0.1", l.port, ticket, { ...options, signal: new AbortController().signal });
    const got = [];
    for await (const r of receiver.records) got.push(new TextDecoder().decode(r.payload));
    expect(got).toEqual(["for the holder"]);
    expect(opened).toBe(1);
  });

  it("stop the sender while the receiver holds records, and lose nothing when it reads on", async () => {
    const l = await listener();
    const size = 256 * 1024;
    let sent = 0;
    let sender: ChannelSender | undefined;
    const ticket = l.issue((s) => {
      sender = s;
      void (async () => {
        const signal = new AbortController().signal;
        await s.send(RECORD.accept, new Uint8Array(0), signal);
        for (let i = 0; i < 256; i++) {
          // Its own buffer each: the socket writes the payload itself, later.
          const record = Buffer.alloc(size, 3);
          record[0] = i;
          await s.send(RECORD.data, record, signal);
          sent++;
        }
        await s.end();
      })();
    })!;
    const receiver = await connectDirectChannel("127.0.0.1", l.port, ticket, { ...options, highWaterBytes: 512 * 1024, signal: new AbortController().signal });
    await new Promise((r) => setTimeout(r, 300));
    // 64 MiB offered; what is in flight is bounded by the receiver's buffer, the kernel's and the sender's.
    expect(sent).toBeLessThan(128);
    expect(sender!.socket.writableLength).toBeGreaterThan(0);
    let i = 0;
    for await (const r of receiver.records) {
      expect(r.payload[0]).toBe(i++ & 0xff);
      expect(r.payload.length).toBe(size);
    }
    expect(i).toBe(256);
  });

  it("write the caller's buffer itself and say when it may be reused", async () => {
    const l = await listener();
    const payload = Buffer.from("a block, written without a copy");
    const events: string[] = [];
    const ticket = l.issue((s) => {
      void (async () => {
        const signal = new AbortController().signal;
        await s.send(RECORD.accept, new Uint8Array(0), signal);
        await new Promise<void>((written) =>
          s.send(RECORD.data, payload, signal, () => {
            events.push("written");
            // Reusing it now changes nothing on the wire.
            payload.fill(0);
            written();
          }),
        );
        await s.end();
      })();
    })!;
    const receiver = await connectDirectChannel("127.0.0.1", l.port, ticket, { ...options, signal: new AbortController().signal });
    const got = [];
    for await (const r of receiver.records) got.push(new TextDecoder().decode(r.payload));
    expect(events).toEqual(["written"]);
    expect(got).toEqual(["a block, written without a copy"]);
  });

  it("issue no ticket past maxChannels", async () => {
    const l = await listener();
    for (let i = 0; i < limits.maxChannels; i++) expect(l.issue(() => {})).toBeDefined();
    expect(l.issue(() => {})).toBeUndefined();
  });
});

async function send(sender: ChannelSender, messages: string[]): Promise<void> {
  const signal = new AbortController().signal;
  await sender.send(RECORD.accept, new Uint8Array(0), signal);
  for (const m of messages) await sender.send(RECORD.data, new TextEncoder().encode(m), signal);
  await sender.end();
}

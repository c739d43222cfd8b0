import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { JournalLockedError } from "../errors.ts";
import { Journal } from "./journal.ts";

const dirs: string[] = [];
const tempJournal = () => {
  const dir = mkdtempSync(join(tmpdir(), "accord-journal-"));
  dirs.push(dir);
  return join(dir, "journal.sqlite");
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("Journal", () => {
  it("keeps jobs and the last block across reopening", () => {
    const path = tempJournal();
    const a = new Journal(path);
    expect(a.lastBlock()).toBeUndefined();
    a.setLastBlock(41n);
    expect(a.insert(7n, { phase: "bid", price: 10n ** 30n, manifestCid: "bafy" })).toBe(true);
    a.update(7n, { phase: "committing", salt: "0x01", resultCid: "bafr", commitment: "0x02" });
    a.close();

    const b = new Journal(path);
    expect(b.lastBlock()).toBe(41n);
    const rec = b.get(7n)!;
    expect(rec).toMatchObject({ jobId: 7n, phase: "committing", price: 10n ** 30n, salt: "0x01", resultCid: "bafr", commitment: "0x02" });
    expect(b.active().map((r) => r.jobId)).toEqual([7n]);
    b.close();
  });

  it("never replaces a salt once written", () => {
    const j = new Journal(tempJournal());
    j.insert(1n, { phase: "awarded" });
    j.update(1n, { salt: "0xaaaa" });
    j.update(1n, { salt: "0xbbbb", phase: "committing" });
    expect(j.get(1n)).toMatchObject({ salt: "0xaaaa", phase: "committing" });
    j.close();
  });

  it("ignores a second insert of a known job, so a replayed event starts nothing twice", () => {
    const j = new Journal(tempJournal());
    expect(j.insert(2n, { phase: "bid" })).toBe(true);
    j.update(2n, { phase: "committed" });
    expect(j.insert(2n, { phase: "bidding" })).toBe(false);
    expect(j.get(2n)!.phase).toBe("committed");
    j.close();
  });

  it("lists only active jobs, and settled results past their retention", () => {
    const j = new Journal(tempJournal());
    j.insert(1n, { phase: "declined", reason: "too big" });
    j.insert(2n, { phase: "revealed" });
    j.insert(3n, { phase: "settled", retainUntilMs: 1_000 });
    j.insert(4n, { phase: "settled", retainUntilMs: 5_000 });
    expect(j.active().map((r) => r.jobId)).toEqual([2n]);
    expect(j.countActive()).toBe(1);
    expect(j.expiredRetention(2_000).map((r) => r.jobId)).toEqual([3n]);
    expect(j.countByPhase()).toEqual({ declined: 1, revealed: 1, settled: 2 });
    j.close();
  });

  it("counts the jobs holding a sandbox slot and their run time, leaving out committed bids and other phases", () => {
    const j = new Journal(tempJournal());
    expect(j.queuedLoad()).toEqual({ jobs: 0, runMs: 0 });
    j.insert(1n, { phase: "bidding", estRunMs: 100 });
    j.insert(2n, { phase: "bid", estRunMs: 20 });
    j.insert(3n, { phase: "awarded" }); // no estimate: counted, adding no time
    j.insert(4n, { phase: "bid", estRunMs: 7_000, salt: "0x01", commitment: "0x02" }); // ran before its bid
    j.insert(5n, { phase: "evaluating", estRunMs: 9_000 });
    j.insert(6n, { phase: "committing", estRunMs: 9_000 });
    expect(j.queuedLoad()).toEqual({ jobs: 3, runMs: 120 });
    j.update(2n, { phase: "lost" });
    expect(j.queuedLoad()).toEqual({ jobs: 2, runMs: 100 });
    j.close();
  });

  it("lists the bids being sent, and the placed bids changed since a time", () => {
    const j = new Journal(tempJournal());
    j.insert(1n, { phase: "bidding", price: 1n });
    j.insert(2n, { phase: "bid", price: 2n });
    j.insert(3n, { phase: "awarded", price: 3n });
    j.insert(4n, { phase: "evaluating" });
    expect(j.bidsSince(0).map((r) => r.jobId).sort()).toEqual([1n, 2n]);
    expect(j.bidsSince(Date.now() + 60_000).map((r) => [r.jobId, r.price])).toEqual([[1n, 1n]]);
    j.close();
  });

  it("refuses a second live daemon on the same journal but takes over from a dead one", () => {
    const path = tempJournal();
    const j = new Journal(path);
    j.setMeta("daemon_pid", "99999999"); // above any pid_max: a daemon that died without unlocking
    const other = new Journal(path);
    expect(() => other.lock(process.pid)).not.toThrow();
    // This test process is alive and now holds the journal, so any other pid is refused.
    expect(() => j.lock(process.pid + 1)).toThrow(JournalLockedError);
    other.unlock(process.pid);
    expect(() => j.lock(process.pid + 1)).not.toThrow();
    j.close();
    other.close();
  });

  it("throws when updating a job it does not know, rather than losing the write", () => {
    const j = new Journal(tempJournal());
    expect(() => j.update(99n, { phase: "bid" })).toThrow(/no job 99/);
    j.close();
  });

  it("flushes to the disk only when a salt was written since the last flush", () => {
    const j = new Journal(tempJournal());
    j.insert(1n, { phase: "evaluating" });
    j.update(1n, { phase: "bidding", price: 5n });
    expect(j.flush()).toBe(false);
    j.update(1n, { salt: "0x01", commitment: "0x02" });
    expect(j.flush()).toBe(true);
    expect(j.flush()).toBe(false);
    expect(j.get(1n)!.salt).toBe("0x01");
    j.close();
  });

  it("reuses its prepared statements across jobs and column sets without mixing up their values", () => {
    const j = new Journal(tempJournal());
    for (const id of [1n, 2n, 3n]) j.insert(id, { phase: "evaluating", manifestCid: `bafy${id}` });
    for (const id of [1n, 2n, 3n]) j.update(id, { phase: "bidding", price: id * 10n });
    j.update(2n, { phase: "bidding", salt: "0x02", commitment: "0x22", resultCid: "bafr2" });
    j.update(3n, { phase: "bidding", salt: "0x03", commitment: "0x33", resultCid: "bafr3" });
    j.update(2n, { phase: "committed", salt: "0xff", commitment: "0x22", resultCid: "bafr2" }); // the salt stays
    j.update(1n, { phase: "lost", reason: "outbid" });
    expect(j.get(1n)).toMatchObject({ phase: "lost", price: 10n, reason: "outbid", manifestCid: "bafy1" });
    expect(j.get(1n)!.salt).toBeUndefined();
    expect(j.get(2n)).toMatchObject({ phase: "committed", price: 20n, salt: "0x02", commitment: "0x22" });
    expect(j.get(3n)).toMatchObject({ phase: "bidding", price: 30n, salt: "0x03", resultCid: "bafr3" });
    expect(j.active().map((r) => r.jobId).sort()).toEqual([2n, 3n]);
    expect(j.countActive()).toBe(2);
    j.close();
  });
});

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Address, Hex } from "viem";
import { JournalLockedError } from "../errors.ts";
import { ACTIVE_PHASES, CAPACITY_PHASES, type JobPhase } from "./phases.ts";

export { ACTIVE_PHASES, TERMINAL_PHASES, type JobPhase } from "./phases.ts";

/** One job as the node remembers it. Everything needed to finish it after a crash is here. */
export type JobRecord = {
  jobId: bigint;
  phase: JobPhase;
  manifestCid?: string;
  requester?: Address;
  /** Our bid, token units. */
  price?: bigint;
  /** Estimated sandbox time, for capacity planning. */
  estRunMs?: number;
  /** Written before the commit transaction is sent, never overwritten after. */
  salt?: Hex;
  resultCid?: string;
  /** The envelope sealed to the requester; for a committed bid written only once the node won and its reveal is due. */
  sealedCid?: string;
  commitment?: Hex;
  fuelUsed?: number;
  /** The replica's settlement outcome (Agreed, Dissented, MissedCommit, ...), or why the job ended for us. */
  outcome?: string;
  /** Why the node declined, gave up or hit an error, for the operator. */
  reason?: string;
  awardedAtMs?: number;
  revealedAtMs?: number;
  /** Unpin the sealed result after this time (unix ms). */
  retainUntilMs?: number;
  createdAtMs: number;
  updatedAtMs: number;
};

type Row = Record<string, string | number | bigint | null>;

type JobFields = Partial<Omit<JobRecord, "jobId" | "createdAtMs" | "updatedAtMs">>;

const COLUMNS: Array<[keyof JobFields, string, "bigint" | "text" | "int"]> = [
  ["phase", "phase", "text"],
  ["manifestCid", "manifest_cid", "text"],
  ["requester", "requester", "text"],
  ["price", "price", "bigint"],
  ["estRunMs", "est_run_ms", "int"],
  ["salt", "salt", "text"],
  ["resultCid", "result_cid", "text"],
  ["sealedCid", "sealed_cid", "text"],
  ["commitment", "commitment", "text"],
  ["fuelUsed", "fuel_used", "int"],
  ["outcome", "outcome", "text"],
  ["reason", "reason", "text"],
  ["awardedAtMs", "awarded_at_ms", "int"],
  ["revealedAtMs", "revealed_at_ms", "int"],
  ["retainUntilMs", "retain_until_ms", "int"],
];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY,
  phase TEXT NOT NULL,
  manifest_cid TEXT, requester TEXT, price TEXT, est_run_ms INTEGER,
  salt TEXT, result_cid TEXT, sealed_cid TEXT, commitment TEXT, fuel_used INTEGER,
  outcome TEXT, reason TEXT,
  awarded_at_ms INTEGER, revealed_at_ms INTEGER, retain_until_ms INTEGER,
  created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS jobs_by_phase ON jobs(phase);
CREATE INDEX IF NOT EXISTS jobs_by_retention ON jobs(retain_until_ms) WHERE retain_until_ms IS NOT NULL;
`;

/**
 * The provider's memory across crashes, in SQLite (node:sqlite, no native build). Every write
 * is its own transaction, in the WAL before the call returns, so a process that dies a moment
 * later finds it. A salt must also be on the disk before any transaction carries its
 * commitment: it is the one thing a reveal cannot do without and the chain cannot give back.
 * `flush()` does that for every salt written so far (one write at synchronous=FULL, which
 * flushes every earlier one with it); the transaction batcher calls it before each batch it
 * sends, so one fsync covers all the commitments of a batch, where an fsync per salt written
 * was the largest cost of the journal under load. Every other phase is re-read from the chain
 * after a restart, so after a power cut the node at worst repeats a step.
 */
export class Journal {
  readonly path: string;
  private readonly db: DatabaseSync;
  /** A salt was written since the last flush. */
  private unflushedSalt = false;
  /**
   * Prepared statements by SQL text: compiling the statement again on every call was most of the
   * CPU of a get or update, and the job driver does several per step. The texts are few (one per
   * set of columns an update writes).
   */
  private readonly statements = new Map<string, StatementSync>();

  constructor(path: string, options: { busyTimeoutMs?: number; readOnly?: boolean } = {}) {
    this.path = path;
    if (!options.readOnly) mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path, { readOnly: options.readOnly ?? false, timeout: options.busyTimeoutMs ?? 5_000 });
    if (!options.readOnly) {
      this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
      this.db.exec(SCHEMA);
    }
  }

  private prepare(sql: string): StatementSync {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Claims the journal for this process; refuses while another live process holds it. */
  lock(pid = process.pid): void {
    const holder = Number(this.getMeta("daemon_pid") ?? 0);
    if (holder && holder !== pid && isAlive(holder)) throw new JournalLockedError(this.path, holder);
    this.setMeta("daemon_pid", String(pid));
  }

  unlock(pid = process.pid): void {
    if (Number(this.getMeta("daemon_pid") ?? 0) === pid) this.prepare("DELETE FROM meta WHERE key = 'daemon_pid'").run();
  }

  getMeta(key: string): string | undefined {
    const row = this.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /** The last block whose events were all handled; the watcher resumes after it. */
  lastBlock(): bigint | undefined {
    const v = this.getMeta("last_block");
    return v === undefined ? undefined : BigInt(v);
  }

  setLastBlock(block: bigint): void {
    this.setMeta("last_block", block.toString());
  }

  get(jobId: bigint): JobRecord | undefined {
    const row = this.prepare("SELECT * FROM jobs WHERE job_id = ?").get(jobId.toString()) as Row | undefined;
    return row && fromRow(row);
  }

  /**
   * Creates the job's record if it is new. Returns false when the node already knows the job,
   * so an event replayed after a restart never starts the same work twice.
   */
  insert(jobId: bigint, fields: JobFields & { phase: JobPhase }): boolean {
    const now = Date.now();
    const cols = COLUMNS.filter(([k]) => fields[k] !== undefined);
    const sql = `INSERT INTO jobs (job_id, created_at_ms, updated_at_ms${cols.map(([, c]) => `, ${c}`).join("")})
      VALUES (?, ?, ?${cols.map(() => ", ?").join("")}) ON CONFLICT(job_id) DO NOTHING`;
    const res = this.prepare(sql).run(jobId.toString(), now, now, ...cols.map(([k, , t]) => toSql(fields[k], t)));
    return Number(res.changes) === 1;
  }

  /** Changes some fields of a known job. A salt, once written, is never replaced. */
  update(jobId: bigint, fields: JobFields): void {
    const cols = COLUMNS.filter(([k]) => k in fields);
    if (cols.length === 0) return;
    const sets = cols.map(([k, c]) => (k === "salt" ? `${c} = COALESCE(${c}, ?)` : `${c} = ?`));
    const sql = `UPDATE jobs SET updated_at_ms = ?, ${sets.join(", ")} WHERE job_id = ?`;
    const res = this.prepare(sql).run(Date.now(), ...cols.map(([k, , t]) => toSql(fields[k], t)), jobId.toString());
    if (Number(res.changes) !== 1) throw new Error(`Journal has no job ${jobId} to update`);
    if (fields.salt !== undefined) this.unflushedSalt = true;
  }

  /**
   * Puts every write so far on the disk if a salt is among those that are not yet. Call before
   * sending a transaction that may carry a commitment. Returns whether it had to.
   */
  flush(): boolean {
    if (!this.unflushedSalt) return false;
    this.db.exec("PRAGMA synchronous = FULL");
    try {
      this.setMeta("flushed_at_ms", String(Date.now()));
    } finally {
      this.db.exec("PRAGMA synchronous = NORMAL");
    }
    this.unflushedSalt = false;
    return true;
  }

  /** Jobs the node still owes something: bids waiting, runs, commits, reveals, settlements. */
  active(): JobRecord[] {
    const marks = ACTIVE_PHASES.map(() => "?").join(", ");
    const rows = this.prepare(`SELECT * FROM jobs WHERE phase IN (${marks}) ORDER BY created_at_ms`).all(...ACTIVE_PHASES) as Row[];
    return rows.map(fromRow);
  }

  /**
   * Jobs holding a slot of the worker pool (CAPACITY_PHASES, not yet run: a committed bid ran
   * already) and their estimated sandbox time, counted by SQLite. The driver asks after every
   * step while jobs wait for capacity; reading every active job for it (a hundred rows in a
   * burst) was the largest single cost of a daemon's CPU per job.
   */
  queuedLoad(): { jobs: number; runMs: number } {
    const marks = CAPACITY_PHASES.map(() => "?").join(", ");
    const row = this.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(est_run_ms), 0) AS ms FROM jobs WHERE phase IN (${marks}) AND commitment IS NULL`).get(...CAPACITY_PHASES) as { n: number; ms: number };
    return { jobs: Number(row.n), runMs: Number(row.ms) };
  }

  /** Bids being sent ("bidding"), and bids placed ("bid") whose record changed at or after `sinceMs`. */
  bidsSince(sinceMs: number): JobRecord[] {
    return (this.prepare("SELECT * FROM jobs WHERE phase = 'bidding' OR (phase = 'bid' AND updated_at_ms >= ?)").all(sinceMs) as Row[]).map(fromRow);
  }

  /** How many jobs are active, without reading them (the in-flight gauge, after every step). */
  countActive(): number {
    const marks = ACTIVE_PHASES.map(() => "?").join(", ");
    return Number((this.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE phase IN (${marks})`).get(...ACTIVE_PHASES) as { n: number }).n);
  }

  /** Settled jobs whose sealed result is due to be unpinned. */
  expiredRetention(nowMs: number): JobRecord[] {
    const rows = this.prepare("SELECT * FROM jobs WHERE retain_until_ms IS NOT NULL AND retain_until_ms <= ?").all(nowMs) as Row[];
    return rows.map(fromRow);
  }

  countByPhase(): Record<string, number> {
    const rows = this.prepare("SELECT phase, COUNT(*) AS n FROM jobs GROUP BY phase").all() as Array<{ phase: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.phase, Number(r.n)]));
  }

  /** The most recent jobs, newest first, for `status`. */
  recent(limit: number): JobRecord[] {
    return (this.prepare("SELECT * FROM jobs ORDER BY updated_at_ms DESC LIMIT ?").all(limit) as Row[]).map(fromRow);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function toSql(v: unknown, type: "bigint" | "text" | "int"): string | number | null {
  if (v === undefined || v === null) return null;
  if (type === "bigint") return (v as bigint).toString();
  if (type === "int") return Number(v);
  return String(v);
}

function fromRow(row: Row): JobRecord {
  const rec: Record<string, unknown> = {
    jobId: BigInt(row.job_id as string),
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  };
  for (const [k, c, t] of COLUMNS) {
    const v = row[c];
    if (v === null || v === undefined) continue;
    rec[k] = t === "bigint" ? BigInt(v as string) : t === "int" ? Number(v) : v;
  }
  return rec as JobRecord;
}

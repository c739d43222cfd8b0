import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CliConfigError } from "./config.ts";

/** How often a waiting process looks at the lock again. */
const POLL_MS = 50;
/** Longest wait for another process's post (a post holds the lock until it is mined). */
export const ACCOUNT_LOCK_TIMEOUT_MS = 10 * 60_000;

/**
 * Where the locks live: one folder per OS user under the temp folder, shared by every `accord`
 * process of that user whatever its data folder (two processes posting from one key usually have
 * different data folders, each with its own content node).
 */
export function accountLockDir(): string {
  return join(tmpdir(), `accord-${userInfo().uid}`, "locks");
}

/**
 * A lock per chain and account across processes, for `SubmitJobParameters.exclusive`: posts from
 * one key in several `accord` processes take turns from reading the permit and account nonces to
 * the mined post, so two processes never sign the same permit nonce (the second post reverted
 * PermitFailed in the block, paying its gas) or send on the same account nonce. The lock is a file
 * created exclusively (`wx`) holding the owner's pid; a file whose pid is no longer alive (a
 * process killed while posting) is taken over. Posts from other machines with the same key are
 * not covered: the SDK then re-signs on a refused nonce or a PermitFailed estimate, before paying.
 */
export function accountLock(dir: string, chainId: number, account: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}) {
  const path = join(dir, `post-${chainId}-${account.toLowerCase()}.lock`);
  return async <T>(step: () => Promise<T>): Promise<T> => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const deadline = Date.now() + (options.timeoutMs ?? ACCOUNT_LOCK_TIMEOUT_MS);
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        writeFileSync(path, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const holder = readHolder(path);
      if (holder !== undefined && !alive(holder)) {
        // Left by a process that died holding it; removed only if it still names that process.
        if (readHolder(path) === holder) unlinkQuietly(path);
        continue;
      }
      if (Date.now() > deadline)
        throw new CliConfigError(
          `Another accord process (pid ${holder ?? "unknown"}) has been posting from ${account} for longer than ${Math.round((options.timeoutMs ?? ACCOUNT_LOCK_TIMEOUT_MS) / 1000)} s; nothing was sent.`,
          `Wait for it to finish, or remove ${path} if no such process runs.`,
        );
      await sleep(POLL_MS, undefined, { signal: options.signal });
    }
    try {
      return await step();
    } finally {
      if (readHolder(path) === process.pid) unlinkQuietly(path);
    }
  };
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

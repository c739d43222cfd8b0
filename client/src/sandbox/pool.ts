/**
 * A pool of sandbox processes that run jobs. Each is a child process (sandbox-process.ts) and
 * runs one job at a time; jobs beyond the pool wait in a bounded
 * queue. A wall-clock timer kills a process that runs past the job's backstop, and a process
 * that dies for any reason (V8 aborting it at its heap limit included) is replaced, so a
 * hostile module can cost at most its own job, never the process that holds the pool.
 *
 * Processes are started with the pool, not with its first job, so the first run does not pay
 * for a Node start; they load the sandbox through Node's compile cache, so a fresh process is
 * ready in well under 100 ms.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BaseError } from "../errors.ts";
import { DEFAULT_MAX_QUEUED_JOBS, DEFAULT_POOL_SIZE_FN, WORKER_HEAP_OVERHEAD_MB, WORKER_STACK_MB } from "./constants.ts";
import * as errors from "./errors.ts";
import { SandboxBusyError, SandboxClosedError, SandboxCrashedError, WallClockTimeoutError } from "./errors.ts";
import { checkJob } from "./job.ts";
import type { ResultBundle, SandboxJob } from "./types.ts";
import { packBytes, removeFiles, SharedFiles, transportDir, unpackBytes } from "./transport.ts";
import type { ProcessReply, ProcessRequest, SerializedError } from "./sandbox-process.ts";

export type SandboxPoolOptions = {
  /** Sandbox processes; default: available cores minus one, at least one. */
  size?: number;
  /** Processes started at once and kept ready (at most `size`); default `size`. */
  warm?: number;
  /**
   * A folder where sandbox processes keep instrumented modules for each other and for later
   * runs (module-cache.ts); default: one under the OS's temporary folder. `false`: none.
   */
  cacheDir?: string | false;
  /** Jobs allowed to wait for a worker; default DEFAULT_MAX_QUEUED_JOBS. */
  maxQueued?: number;
};

export type RunOptions = { signal?: AbortSignal };

export type SandboxPool = {
  run(job: SandboxJob, options?: RunOptions): Promise<ResultBundle>;
  close(): Promise<void>;
  readonly size: number;
};

type Task = { job: SandboxJob; signal?: AbortSignal; resolve: (b: ResultBundle) => void; reject: (e: unknown) => void; onAbort?: () => void };
type Slot = { child: ChildProcess; task?: Task; timer?: ReturnType<typeof setTimeout>; stderr: string; files: string[] };

/** The end of a dead process's stderr is kept for the crash error (e.g. V8's "Reached heap limit"). */
const STDERR_TAIL_CHARS = 2_048;
const PROCESS_ENTRY = new URL("./sandbox-process.ts", import.meta.url);

const ERROR_CLASSES = new Map<string, typeof BaseError>(
  Object.values(errors).filter((c): c is typeof BaseError => typeof c === "function" && c.prototype instanceof BaseError).map((c) => [c.name, c]),
);

/** Rebuilds an error thrown in a sandbox process as the same class, so `instanceof` works across processes. */
function revive(e: SerializedError): Error {
  const cls = ERROR_CLASSES.get(e.name);
  const err: Error = cls ? Object.create(cls.prototype) : new Error(e.message);
  Object.assign(err, { name: e.name, message: e.message, shortMessage: e.shortMessage, details: e.details, fix: e.fix, stack: e.stack });
  return err;
}

/** Exit code of the start-up shell when the stack limit cannot be raised (EX_CONFIG). */
const EXIT_NO_STACK = 78;
/** Native stack the process gets beyond what V8 may use, for Node's own frames below V8's. */
const STACK_HEADROOM_KB = 8_192;

/**
 * Starts a sandbox process. A process's main thread gets the OS's stack limit (8 MiB by default)
 * while the deterministic stack budget needs ~40 MiB, so a shell raises the limit (`ulimit -s`)
 * and then becomes Node, with V8 told how much of it to use. That costs a shell's exec (~1 ms),
 * where a worker thread given the stack inside the process cost a second isolate's start
 * (50-150 ms, as much as the process itself).
 */
function startProcess(cacheDir: string | false): ChildProcess {
  const v8StackKb = WORKER_STACK_MB * 1_024;
  return spawn(
    "/bin/sh",
    ["-c", `ulimit -s "$1" 2>/dev/null || exit ${EXIT_NO_STACK}; shift; exec "$@"`, "sh", String(v8StackKb + STACK_HEADROOM_KB),
      process.execPath, `--stack-size=${v8StackKb}`, `--max-old-space-size=${WORKER_HEAP_OVERHEAD_MB}`, fileURLToPath(PROCESS_ENTRY)],
    {
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: {
        ...process.env,
        ACCORD_SANDBOX_CACHE_DIR: cacheDir || "",
        // Parsing the sandbox's TypeScript is most of a cold process's start (~150 of ~200 ms).
        ...(process.env.NODE_DISABLE_COMPILE_CACHE ? {} : { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), "accord-node-compile-cache") }),
      },
    },
  );
}

export function createSandboxPool(options: SandboxPoolOptions = {}): SandboxPool {
  const size = options.size ?? DEFAULT_POOL_SIZE_FN(availableParallelism());
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_JOBS;
  if (!Number.isSafeInteger(size) || size < 1) throw new errors.InvalidJobError(`pool size ${size} is not a positive integer`, "Pass size >= 1 or leave it out.");
  const warm = Math.min(size, options.warm ?? size);
  const cacheDir = options.cacheDir ?? join(tmpdir(), "accord-sandbox-modules");
  const slots: Slot[] = [];
  const queue: Task[] = [];
  const dir = transportDir();
  const shared = new SharedFiles();
  let nextId = 1;
  let closed = false;

  const spawn = (): Slot => {
    const child = startProcess(cacheDir);
    const slot: Slot = { child, stderr: "", files: [] };
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      slot.stderr = (slot.stderr + chunk).slice(-STDERR_TAIL_CHARS);
    });
    child.on("message", (reply: ProcessReply) => {
      const task = slot.task;
      if (!task) return;
      finish(slot);
      if (!reply.ok) task.reject(revive(reply.error));
      else {
        try {
          task.resolve(unpackBytes(reply.bundle as ResultBundle, { remove: true }));
        } catch (err) {
          task.reject(new SandboxCrashedError(`the result could not be read back: ${(err as Error).message}`, err));
        }
      }
      pump();
    });
    child.on("error", (err) => fail(slot, new SandboxCrashedError(err.message, err)));
    child.on("exit", (code, signal) => {
      const why = signal ? `was killed by ${signal}`
        : code === EXIT_NO_STACK ? `could not start: the stack limit cannot be raised to ${WORKER_STACK_MB * 1_024 + STACK_HEADROOM_KB} KiB (raise the hard limit, e.g. \`ulimit -Hs unlimited\`, for the user running Accord)`
        : `exited with code ${code}`;
      const tail = slot.stderr.trim().split("\n").filter(Boolean).slice(-3).join(" / ");
      fail(slot, new SandboxCrashedError(`the sandbox process ${why}${tail ? `: ${tail}` : ""}`));
    });
    idle(slot);
    return slot;
  };

  // An idle process must not keep its owner alive (a CLI that forgets close() still exits);
  // one running a job must, as any pending work does.
  const idle = (slot: Slot) => {
    slot.child.unref();
    (slot.child.channel as { unref?: () => void } | undefined)?.unref?.();
  };
  const busy = (slot: Slot) => {
    slot.child.ref();
    (slot.child.channel as { ref?: () => void } | undefined)?.ref?.();
  };

  const finish = (slot: Slot) => {
    clearTimeout(slot.timer);
    removeFiles(slot.files);
    if (slot.task?.onAbort) slot.task.signal?.removeEventListener("abort", slot.task.onAbort);
    slot.task = undefined;
    idle(slot);
  };

  /** Takes a process out of the pool for good, failing its job with `err`. */
  const fail = (slot: Slot, err: unknown) => {
    const i = slots.indexOf(slot);
    if (i < 0) return;
    slots.splice(i, 1);
    const task = slot.task;
    finish(slot);
    slot.child.removeAllListeners("exit");
    slot.child.kill("SIGKILL");
    task?.reject(err);
    if (!closed && slots.length < warm) slots.push(spawn());
    pump();
  };

  const pump = () => {
    while (!closed && queue.length) {
      let slot = slots.find((s) => !s.task);
      if (!slot && slots.length < size) slots.push((slot = spawn()));
      if (!slot) return;
      const task = queue.shift()!;
      slot.task = task;
      const s = slot;
      busy(s);
      s.timer = setTimeout(() => fail(s, new WallClockTimeoutError(task.job.limits.wallClockMs)), task.job.limits.wallClockMs);
      if (task.signal) {
        task.signal.removeEventListener("abort", task.onAbort!);
        task.onAbort = () => fail(s, task.signal!.reason);
        task.signal.addEventListener("abort", task.onAbort, { once: true });
      }
      const id = nextId++;
      let request: ProcessRequest;
      try {
        request = { id, dir, job: packBytes(task.job, dir, s.files, `q${id}`, shared) };
      } catch (err) {
        // The job never reached the process, which stays usable.
        finish(s);
        task.reject(new SandboxCrashedError(`the job's bytes could not be written to ${dir}: ${(err as Error).message}`, err));
        continue;
      }
      s.child.send(request, (err) => {
        if (err) fail(s, new SandboxCrashedError(`the job could not be handed to the sandbox process: ${err.message}`, err));
      });
    }
  };

  for (let i = 0; i < warm; i++) slots.push(spawn());

  return {
    size,
    run(job, { signal } = {}) {
      return new Promise<ResultBundle>((resolve, reject) => {
        if (closed) return reject(new SandboxClosedError());
        signal?.throwIfAborted();
        checkJob(job);
        if (queue.length >= maxQueued) return reject(new SandboxBusyError(queue.length));
        const task: Task = { job, signal, resolve, reject };
        if (signal) {
          task.onAbort = () => {
            const i = queue.indexOf(task);
            if (i >= 0) queue.splice(i, 1);
            reject(signal.reason);
          };
          signal.addEventListener("abort", task.onAbort, { once: true });
        }
        queue.push(task);
        pump();
      });
    },
    async close() {
      closed = true;
      for (const task of queue.splice(0)) task.reject(new SandboxClosedError());
      const all = slots.splice(0);
      await Promise.all(
        all.map((slot) => {
          slot.child.removeAllListeners("exit");
          slot.task?.reject(new SandboxClosedError());
          finish(slot);
          if (slot.child.exitCode !== null || slot.child.signalCode !== null) return;
          busy(slot); // an unreferenced process's exit would not be waited for
          return new Promise<void>((done) => {
            slot.child.once("exit", () => done());
            slot.child.kill("SIGKILL");
          });
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A pool of worker threads that run sandbox jobs. Each worker runs one job at a time; jobs
 * beyond the pool wait in a bounded queue. A wall-clock timer terminates a worker that runs
 * past the job's backstop, and a worker that dies for any reason is replaced, so a hostile
 * module can cost at most its own job.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { BaseError } from "../errors.ts";
import { DEFAULT_MAX_QUEUED_JOBS, DEFAULT_POOL_SIZE_FN, WORKER_HEAP_OVERHEAD_MB, WORKER_STACK_MB } from "./constants.ts";
import * as errors from "./errors.ts";
import { SandboxBusyError, SandboxClosedError, SandboxCrashedError, WallClockTimeoutError } from "./errors.ts";
import { checkJob } from "./job.ts";
import type { ResultBundle, SandboxJob } from "./types.ts";
import type { SerializedError, WorkerReply } from "./worker.ts";

export type SandboxPoolOptions = {
  /** Worker threads; default: available cores minus one, at least one. */
  size?: number;
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
type Slot = { worker: Worker; task?: Task; timer?: ReturnType<typeof setTimeout> };

const ERROR_CLASSES = new Map<string, typeof BaseError>(
  Object.values(errors).filter((c): c is typeof BaseError => typeof c === "function" && c.prototype instanceof BaseError).map((c) => [c.name, c]),
);

/** Rebuilds an error thrown in a worker as the same class, so `instanceof` works across threads. */
function revive(e: SerializedError): Error {
  const cls = ERROR_CLASSES.get(e.name);
  const err: Error = cls ? Object.create(cls.prototype) : new Error(e.message);
  Object.assign(err, { name: e.name, message: e.message, shortMessage: e.shortMessage, details: e.details, fix: e.fix, stack: e.stack });
  return err;
}

export function createSandboxPool(options: SandboxPoolOptions = {}): SandboxPool {
  const size = options.size ?? DEFAULT_POOL_SIZE_FN(availableParallelism());
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_JOBS;
  if (!Number.isSafeInteger(size) || size < 1) throw new errors.InvalidJobError(`pool size ${size} is not a positive integer`, "Pass size >= 1 or leave it out.");
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 1;
  let closed = false;

  const spawn = (): Slot => {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      resourceLimits: { stackSizeMb: WORKER_STACK_MB, maxOldGenerationSizeMb: WORKER_HEAP_OVERHEAD_MB },
    });
    const slot: Slot = { worker };
    worker.on("message", (reply: WorkerReply) => {
      const task = slot.task;
      if (!task) return;
      finish(slot);
      if (reply.ok) task.resolve(reply.bundle as ResultBundle);
      else task.reject(revive(reply.error));
      pump();
    });
    worker.on("error", (err) => fail(slot, new SandboxCrashedError(err.message, err)));
    worker.on("exit", (code) => fail(slot, new SandboxCrashedError(`the worker exited with code ${code}`)));
    return slot;
  };

  const finish = (slot: Slot) => {
    clearTimeout(slot.timer);
    if (slot.task?.onAbort) slot.task.signal?.removeEventListener("abort", slot.task.onAbort);
    slot.task = undefined;
  };

  /** Takes a worker out of the pool for good, failing its job with `err`. */
  const fail = (slot: Slot, err: unknown) => {
    const i = slots.indexOf(slot);
    if (i < 0) return;
    slots.splice(i, 1);
    const task = slot.task;
    finish(slot);
    slot.worker.removeAllListeners("exit");
    void slot.worker.terminate();
    task?.reject(err);
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
      s.timer = setTimeout(() => fail(s, new WallClockTimeoutError(task.job.limits.wallClockMs)), task.job.limits.wallClockMs);
      if (task.signal) {
        task.signal.removeEventListener("abort", task.onAbort!);
        task.onAbort = () => fail(s, task.signal!.reason);
        task.signal.addEventListener("abort", task.onAbort, { once: true });
      }
      s.worker.postMessage({ id: nextId++, job: task.job });
    }
  };

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
      for (const slot of all) {
        slot.worker.removeAllListeners("exit");
        slot.task?.reject(new SandboxClosedError());
        finish(slot);
      }
      await Promise.all(all.map((s) => s.worker.terminate()));
    },
  };
}

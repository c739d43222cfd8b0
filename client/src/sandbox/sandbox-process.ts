/**
 * The entry of a sandbox child process (see pool.ts). It holds one worker thread (worker.ts)
 * and relays jobs and replies between it and the pool over the IPC channel.
 *
 * Why a process and a thread: a worker thread's heap limit does not protect the process that
 * holds it (V8 aborts the whole process when any isolate reaches its limit, nodejs/node#47224),
 * so untrusted code must live in a process of its own, whose death the pool sees as an exit.
 * The thread is kept because only a thread can be given the large native stack the
 * deterministic stack budget needs (a process's main thread gets the OS default, 8 MiB).
 *
 * This file imports nothing of the sandbox: the child's main thread stays small, and a hostile
 * job can only ever abort this process, never the pool's.
 */
import { Worker } from "node:worker_threads";

const stackSizeMb = Number(process.env.ACCORD_SANDBOX_STACK_MB);
const heapMb = Number(process.env.ACCORD_SANDBOX_HEAP_MB);

const worker = new Worker(new URL("./worker.ts", import.meta.url), {
  resourceLimits: { stackSizeMb, maxOldGenerationSizeMb: heapMb },
});

// Replies carry result bytes of up to hundreds of MiB: hand their buffers over, don't copy.
const buffersOf = (value: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] => {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) out.add(value.buffer);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) buffersOf(v, out);
  }
  return [...out];
};

process.on("message", (request: unknown) => worker.postMessage(request, buffersOf(request)));
worker.on("message", (reply: unknown) => process.send!(reply));
// The pool turns any exit into SandboxCrashedError for the job in flight and starts a new
// process; nothing here tries to recover.
worker.on("error", (err) => {
  process.stderr.write(`sandbox worker failed: ${err?.stack ?? err}\n`);
  process.exit(70);
});
worker.on("exit", (code) => process.exit(code || 70));
// The pool's process is gone (crashed or killed without closing us): nobody will read a result.
process.on("disconnect", () => process.exit(0));

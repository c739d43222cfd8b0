// Processes inside the network namespaces netns.ts builds, for test/nat and `npm run bench:p2p`:
// the caller's own process lives outside them and cannot reach their addresses, so every node,
// chain and role runs as `ip netns exec NS node ...` and speaks through stdout and stderr.
import { spawn, type ChildProcess } from "node:child_process";

export type Proc = { child: ChildProcess; out: string; err: string; lines: Array<Record<string, unknown>>; exited: Promise<number | null> };

/** A process inside namespace `ns` running this Node with `args`; its JSON lines on stderr (log lines) are parsed as they come. */
export function inNamespace(ns: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const p: Proc = { child, out: "", err: "", lines: [], exited: new Promise((r) => child.once("exit", (code) => r(code))) };
  child.stdout!.on("data", (c: Buffer) => (p.out += c.toString()));
  let buf = "";
  child.stderr!.on("data", (c: Buffer) => {
    p.err = (p.err + c.toString()).slice(-20_000);
    buf += c.toString();
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      try {
        p.lines.push(JSON.parse(buf.slice(0, nl)));
      } catch {
        /* not a log line */
      }
      buf = buf.slice(nl + 1);
    }
  });
  return p;
}

/** Resolves when `test` holds for the process (checked on each output chunk); fails if it exits first. */
export function waitFor(p: Proc, what: string, test: () => boolean, timeoutMs = 180_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!test()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => (done(), reject(new Error(`${what}: not within ${timeoutMs} ms; its stderr ends:\n${p.err.slice(-3000)}`))), timeoutMs);
    const onExit = (code: number | null) => (done(), reject(new Error(`${what}: the process exited (${code}) first; its stderr ends:\n${p.err.slice(-3000)}`)));
    const done = () => {
      clearTimeout(timer);
      p.child.stdout!.off("data", check);
      p.child.stderr!.off("data", check);
      p.child.off("exit", onExit);
    };
    p.child.stdout!.on("data", check);
    p.child.stderr!.on("data", check);
    p.child.once("exit", onExit);
    check();
  });
}

/** SIGTERM to every process still running, SIGKILL to those that outlive `forceMs`; resolves once all have exited. */
export async function stopAll(procs: Proc[], forceMs = 15_000): Promise<void> {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
  await Promise.all(
    procs.map((p) => {
      const force = setTimeout(() => p.child.kill("SIGKILL"), forceMs);
      return p.exited.finally(() => clearTimeout(force));
    }),
  );
}

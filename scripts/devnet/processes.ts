// Child processes of the devnet: each logs to its own file, and all of them stop together.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";

export type Managed = { name: string; child: ChildProcess; stop(): Promise<void> };

/** Runs a Node 24 script to completion, its output to `logFile`; rejects with the log's tail on failure. */
export function runNode(args: string[], opts: { env?: NodeJS.ProcessEnv; logFile: string; cwd?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    const log = createWriteStream(opts.logFile, { flags: "a" });
    let out = "";
    let tail = "";
    child.stdout!.on("data", (c: Buffer) => ((out += c), log.write(c)));
    child.stderr!.on("data", (c: Buffer) => ((tail = (tail + c).slice(-3000)), log.write(c)));
    child.on("error", reject);
    child.on("exit", (code) => {
      log.end();
      if (code === 0) resolve(out);
      else reject(new Error(`\`${args.slice(0, 3).join(" ")}\` exited with ${code} (log: ${opts.logFile}):\n${tail || out.slice(-3000)}`));
    });
  });
}

/**
 * Starts a long-running Node 24 child, its output to `logFile`. `ready` sees stdout as it comes
 * and resolves the start once it returns a value.
 */
export function startNode<T>(
  name: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; logFile: string; cwd?: string; ready: (stdout: string) => T | undefined; timeoutMs: number },
): Promise<{ managed: Managed; info: T }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    const log = createWriteStream(opts.logFile, { flags: "a" });
    let out = "";
    let done = false;
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(force);
    };
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      void stop();
      reject(new Error(`${name} did not come up within ${opts.timeoutMs} ms (log: ${opts.logFile})`));
    }, opts.timeoutMs);
    child.stdout!.on("data", (c: Buffer) => {
      log.write(c);
      if (done) return;
      out += c;
      const info = opts.ready(out);
      if (info !== undefined) {
        done = true;
        clearTimeout(timer);
        resolve({ managed: { name, child, stop }, info });
      }
    });
    child.stderr!.on("data", (c: Buffer) => log.write(c));
    child.on("exit", (code, signal) => {
      process.removeListener("exit", killOnExit);
      log.end();
      if (!done) {
        done = true;
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) before it was up (log: ${opts.logFile})`));
      }
    });
  });
}

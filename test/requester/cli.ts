// Runs the `accord` CLI as a child process on this Node (24), the way a user's shell would.
import { spawn } from "node:child_process";
import { join } from "node:path";

export const ACCORD_BIN = join(import.meta.dirname, "..", "..", "client", "bin", "accord.js");

export type CliRun = { code: number | null; stdout: string; stderr: string };

export type CliHandle = {
  /** Resolves once stderr has shown a line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliRun>;
  /** Sends the process a signal (SIGKILL: it dies as with a power cut, no handler runs). */
  kill(signal?: NodeJS.Signals): void;
};

export function startCli(args: string[], env: Record<string, string>, cwd?: string): CliHandle {
  const child = spawn(process.execPath, [ACCORD_BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
    for (const w of [...waiters]) if (w.re.test(stderr)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  });
  const done = new Promise<CliRun>((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
  return {
    done,
    kill: (signal = "SIGTERM") => void child.kill(signal),
    waitFor(re, timeoutMs = 30_000) {
      if (re.test(stderr)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`accord never printed ${re}; stderr so far:\n${stderr}`)), timeoutMs);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolve()) });
        void done.then(() => (clearTimeout(timer), reject(new Error(`accord exited before printing ${re}; stderr:\n${stderr}`))));
      });
    },
  };
}

export const runCli = (args: string[], env: Record<string, string>, cwd?: string) => startCli(args, env, cwd).done;

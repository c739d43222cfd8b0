// Processes the web tests start: a local chain with Accord deployed, the built web app, a browser.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium, type Browser } from "playwright-core";
import { freePort } from "../../scripts/devnet/ports.ts";
import { startDevnet as startTestDevnet, type Devnet } from "../../test/devnet.ts";

export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const NEXT_BIN = join(WEB_DIR, "node_modules", "next", "dist", "bin", "next");
const WEB_READY_TIMEOUT_MS = 60_000;
// A clean 2-core machine builds in ~2 min; one loaded by other suites took 4.5 min.
export const BUILD_TIMEOUT_MS = 600_000;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export type { Devnet };

/** A fresh devnet (test/devnet.ts) with the market `npm start` deploys, as the web app meets it. */
export function startDevnet(): Promise<Devnet> {
  return startTestDevnet({ base: "devnet" });
}

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, ...args], { cwd: WEB_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out = (out + d).slice(-8_000)));
    child.stderr.on("data", (d) => (out = (out + d).slice(-8_000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    // A test file that dies mid-build (a failed hook ends its fork) must not leave a build
    // writing .next under the next run's.
    const orphaned = () => child.kill("SIGKILL");
    process.once("exit", orphaned);
    child.on("exit", (code) => {
      process.off("exit", orphaned);
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`next ${args.join(" ")} exited with ${code}:\n${out}`));
    });
  });
}

const baseEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NEXT_TELEMETRY_DISABLED: "1", HARDHAT_DISABLE_TELEMETRY: "true" });

/** Which test run built .next: the vitest process whose forks run the test files. */
const BUILT_BY = join(WEB_DIR, ".next", "accord-built-by");
const BUILD_LOCK = join(WEB_DIR, ".next-build.lock");
const BUILD_LOCK_POLL_MS = 500;

const readText = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `next build`, unless ACCORD_WEB_SKIP_BUILD=1 and a build exists (for iterating on the tests
 * alone). CI always builds, so the tests always run against the code under test. Web test files
 * run in parallel forks of one vitest process: the first builds, the others wait for it and use
 * that build, since a second build would rewrite .next under the first file's running server.
 */
export async function buildWeb(): Promise<void> {
  if (process.env.ACCORD_WEB_SKIP_BUILD === "1" && existsSync(join(WEB_DIR, ".next", "BUILD_ID"))) return;
  const runId = String(process.ppid);
  for (;;) {
    if (readText(BUILT_BY) === runId) return;
    try {
      mkdirSync(BUILD_LOCK);
      writeFileSync(join(BUILD_LOCK, "pid"), String(process.pid));
      break;
    } catch {
      const holder = Number(readText(join(BUILD_LOCK, "pid")));
      // A lock whose holder died (a killed run) would block every later run.
      if (holder && !alive(holder)) rmSync(BUILD_LOCK, { recursive: true, force: true });
      else await sleep(BUILD_LOCK_POLL_MS);
    }
  }
  try {
    await run(["build"], baseEnv(), BUILD_TIMEOUT_MS);
    writeFileSync(BUILT_BY, runId);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

export type WebServer = { url: string; process: ChildProcess; logs: () => string; stop(): Promise<void> };

/** `next start` on a free port, pointed at the devnet, with its own content node data dir. */
export async function startWeb(devnet: Devnet): Promise<WebServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "accord-web-data-"));
  const child = spawn(process.execPath, [NEXT_BIN, "start", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: WEB_DIR,
    env: { ...baseEnv(), ACCORD_RPC_URL: devnet.rpcUrl, ACCORD_DEPLOYMENTS_DIR: devnet.dir, ACCORD_WEB_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out = (out + d).slice(-50_000)));
  child.stderr!.on("data", (d) => (out = (out + d).slice(-50_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + WEB_READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/api/market`, { signal: AbortSignal.timeout(5_000) })).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the web app did not answer on ${url} within ${WEB_READY_TIMEOUT_MS} ms:\n${out}`);
    }
    await sleep(250);
  }
  return {
    url,
    process: child,
    logs: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

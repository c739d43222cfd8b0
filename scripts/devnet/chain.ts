// A Hardhat JSON-RPC node as a child process, for the devnet and the cross-process tests.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

export const DEFAULT_RPC_PORT = 8545;
const CHAIN_READY_TIMEOUT_MS = 60_000;

export type Chain = { rpcUrl: string; process: ChildProcess; stop: () => Promise<void> };

/** Is a JSON-RPC endpoint answering at `rpcUrl`? */
export async function rpcAnswers(rpcUrl: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: signal ?? AbortSignal.timeout(1_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts `hardhat node` on 127.0.0.1 and resolves once it answers JSON-RPC. Runs the Hardhat
 * CLI with this process's Node (24), since the .bin shim would pick up whatever `node` is on PATH.
 */
export async function startChain(opts: { port?: number; log?: (line: string) => void } = {}): Promise<Chain> {
  const port = opts.port ?? DEFAULT_RPC_PORT;
  const rpcUrl = `http://127.0.0.1:${port}`;
  if (await rpcAnswers(rpcUrl)) {
    throw new Error(
      `Something already answers JSON-RPC on ${rpcUrl}. Stop it (another \`npm start\`?) or choose another port with --rpc-port.`,
    );
  }
  // The package's exports hide its CLI file; its package.json (exported) locates it.
  const cli = join(dirname(require.resolve("hardhat/package.json")), require("hardhat/package.json").bin.hardhat);
  const child = spawn(process.execPath, [cli, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true" },
  });
  // A chain outliving the process that started it would hold its port and confuse the next run.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 20_000) output = output.slice(-10_000);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);

  const deadline = Date.now() + CHAIN_READY_TIMEOUT_MS;
  while (!(await rpcAnswers(rpcUrl))) {
    if (child.exitCode !== null) throw new Error(`hardhat node exited with code ${child.exitCode}:\n${output.slice(-2_000)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`hardhat node did not answer on ${rpcUrl} within ${CHAIN_READY_TIMEOUT_MS} ms:\n${output.slice(-2_000)}`);
    }
    await sleep(200);
  }
  // Past readiness, only the log matters; a quiet pipe must not fill up and block the node.
  child.stdout!.removeListener("data", collect);
  child.stderr!.removeListener("data", collect);
  child.stdout!.resume();
  child.stderr!.resume();

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { rpcUrl, process: child, stop };
}

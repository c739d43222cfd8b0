// A local JSON-RPC chain as a child process, for the devnet and the cross-process tests: Hardhat's
// node (automine by default: one transaction a block), or Foundry's anvil, an independent EVM
// implementation, whose interval mining packs several transactions into a block as real chains do.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { arch, platform } from "node:os";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

export const DEFAULT_RPC_PORT = 8545;
const CHAIN_READY_TIMEOUT_MS = 60_000;
/** The dev mnemonic's accounts a chain funds with ETH: DEV_ACCOUNTS has 20 (anvil's default is 10). */
const DEV_ACCOUNT_COUNT = 20;

export const CHAIN_ENGINES = ["hardhat", "anvil"] as const;
export type ChainEngine = (typeof CHAIN_ENGINES)[number];

export type StartChainOptions = {
  port?: number;
  /** Which node to run (default hardhat). */
  engine?: ChainEngine;
  /** Seconds between blocks (interval mining, many transactions a block); absent: a block per transaction. */
  blockTime?: number;
  /** Chain id (anvil only; Hardhat's node is 31337). */
  chainId?: number;
  log?: (line: string) => void;
};

export type Chain = { rpcUrl: string; engine: ChainEngine; blockTime?: number; process: ChildProcess; stop: () => Promise<void> };

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

async function rpc(rpcUrl: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method} failed on ${rpcUrl}: ${body.error.message}`);
  return body.result;
}

/**
 * The anvil binary of @foundry-rs/anvil: it ships in a per-platform package (an optional
 * dependency), run directly so that stopping it stops the node, not a wrapper script.
 */
export function anvilBinary(): string {
  const os = platform() === "win32" ? "win32" : platform();
  const cpu = arch() === "x64" ? "amd64" : arch();
  const pkg = `@foundry-rs/anvil-${os}-${cpu}`;
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), "bin", os === "win32" ? "anvil.exe" : "anvil");
  } catch {
    throw new Error(`anvil is not installed for ${os}-${cpu}: ${pkg} is missing from node_modules. Run \`npm install\` (it comes with the @foundry-rs/anvil devDependency).`);
  }
}

function command(engine: ChainEngine, port: number, o: StartChainOptions): { file: string; args: string[]; name: string } {
  if (engine === "anvil") {
    const args = ["--host", "127.0.0.1", "--port", String(port), "--accounts", String(DEV_ACCOUNT_COUNT)];
    if (o.blockTime !== undefined) args.push("--block-time", String(o.blockTime));
    if (o.chainId !== undefined) args.push("--chain-id", String(o.chainId));
    return { file: anvilBinary(), args, name: "anvil" };
  }
  if (o.chainId !== undefined && o.chainId !== 31337) throw new Error(`hardhat node runs chain id 31337 only; use --chain anvil for chain id ${o.chainId}.`);
  // The package's exports hide its CLI file; its package.json (exported) locates it. Run with this
  // process's Node (24), since the .bin shim would pick up whatever `node` is on PATH.
  const cli = join(dirname(require.resolve("hardhat/package.json")), require("hardhat/package.json").bin.hardhat);
  return { file: process.execPath, args: [cli, "node", "--hostname", "127.0.0.1", "--port", String(port)], name: "hardhat node" };
}

/** Starts a chain on 127.0.0.1 and resolves once it answers JSON-RPC (and mines at `blockTime`, if set). */
export async function startChain(opts: StartChainOptions = {}): Promise<Chain> {
  const port = opts.port ?? DEFAULT_RPC_PORT;
  const engine = opts.engine ?? "hardhat";
  if (opts.blockTime !== undefined && !(Number.isInteger(opts.blockTime) && opts.blockTime > 0))
    throw new Error(`the block time must be a whole number of seconds above 0, not ${opts.blockTime}.`);
  const rpcUrl = `http://127.0.0.1:${port}`;
  if (await rpcAnswers(rpcUrl)) {
    throw new Error(
      `Something already answers JSON-RPC on ${rpcUrl}. Stop it (another \`npm start\`?) or choose another port with --rpc-port.`,
    );
  }
  const { file, args, name } = command(engine, port, opts);
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true" } });
  // A chain outliving the process that started it would hold its port and confuse the next run.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  let output = "";
  let spawnError: Error | undefined;
  child.once("error", (err) => (spawnError = err));
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 20_000) output = output.slice(-10_000);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + CHAIN_READY_TIMEOUT_MS;
  while (!(await rpcAnswers(rpcUrl))) {
    if (spawnError) throw new Error(`could not run ${name} (${file}): ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}:\n${output.slice(-2_000)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not answer on ${rpcUrl} within ${CHAIN_READY_TIMEOUT_MS} ms:\n${output.slice(-2_000)}`);
    }
    await sleep(200);
  }
  // Past readiness, only the log matters; a quiet pipe must not fill up and block the node.
  child.stdout!.removeListener("data", collect);
  child.stderr!.removeListener("data", collect);
  child.stdout!.resume();
  child.stderr!.resume();

  if (engine === "hardhat" && opts.blockTime !== undefined) {
    // Hardhat's node has no block-time flag; its RPC switches automine off for interval mining.
    try {
      await rpc(rpcUrl, "evm_setAutomine", [false]);
      await rpc(rpcUrl, "evm_setIntervalMining", [opts.blockTime * 1000]);
    } catch (err) {
      await stop();
      throw err;
    }
  }
  return { rpcUrl, engine, blockTime: opts.blockTime, process: child, stop };
}

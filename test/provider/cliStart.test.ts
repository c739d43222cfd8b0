// Issue #15, "the other-chain path works word for word", for the provider's CLI: it signs with its
// own key file even in a shell where ACCORD_PRIVATE_KEY holds the requester's key, and says whose
// account it acts for; `start` listens where `register` was told and keeps the announced address
// on-chain; a busy port ends `start` with one line saying which port and what to do, no stack
// trace. The accounts are funded with `accord fund`, which also shows the chain and market it uses.
import { createServer, type Server } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readProvider } from "../../client/src/chain/index.ts";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { freePort } from "../../scripts/devnet/ports.ts";
import { CLI, startTestChain, type TestChain } from "./harness.ts";
import { runCli } from "./cli.ts";
import { runCli as runAccord } from "../requester/cli.ts";

let t: TestChain;
const busy: Server[] = [];
const REQUESTER_KEY = DEV_ACCOUNTS[DEV_ROLES.requesters[0]]!.privateKey;
let dataDir: string;
let address: string;

/** Holds a TCP port on `host` until the test file ends. */
async function holdPort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  busy.push(server);
  return (server.address() as { port: number }).port;
}

/** `accord-provider start` to its end: exit code, and stderr without the daemon's JSON log lines. */
function startUntilExit(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; lines: string[] }>((resolve) => {
    const child = spawn(process.execPath, [CLI, "start", "--data-dir", dataDir, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("exit", (code) => resolve({ code, lines: stderr.split("\n").filter((l) => l && !l.startsWith("{")) }));
  });
}

beforeAll(async () => {
  t = await startTestChain({}, { engine: "anvil" });
  dataDir = mkdtempSync(join(tmpdir(), "accord-cli-start-"));
  const init = await runCli(["init", "--json", "--data-dir", dataDir, "--rpc-url", t.rpcUrl, "--market", t.deployment.jobMarket]);
  expect(init.code, init.stderr).toBe(0);
  address = JSON.parse(init.stdout).address;
});

afterAll(async () => {
  for (const s of busy) s.close();
  await t?.stop();
});

describe("accord fund", () => {
  it("mints test tokens and sends gas to a new provider key, signed by the token's owner, and says which chain and market", async () => {
    const env = { ACCORD_PRIVATE_KEY: DEV_ACCOUNTS[DEV_ROLES.deployer]!.privateKey, ACCORD_RPC_URL: t.rpcUrl, ACCORD_MARKET: t.deployment.jobMarket, ACCORD_CONFIG: join(dataDir, "accord.json") };
    const printed = await runCli(["address", "--data-dir", dataDir]);
    expect(printed.stdout.trim()).toBe(address);
    const r = await runAccord(["fund", address, "20", "--gas", "1"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`chain 31337 (${t.rpcUrl}) · market ${t.deployment.jobMarket}`);
    expect(r.stdout).toMatch(new RegExp(`${address} received 20 tUSD and 1 ETH for gas`));
    expect(await t.publicClient.getBalance({ address: address as `0x${string}` })).toBe(10n ** 18n);

    const notOwner = await runAccord(["fund", address, "20"], { ...env, ACCORD_PRIVATE_KEY: REQUESTER_KEY });
    expect(notOwner.code).not.toBe(0);
    expect(notOwner.stderr).toMatch(/Only the test token's owner 0x[0-9a-fA-F]{40} may mint it[\s\S]*deployer's key/);
  });
});

describe("accord-provider in a shell set up for the requester", () => {
  it("registers, stakes and reports with its own key file, names that account, and keeps what register was told for start", async () => {
    const env = { ACCORD_PRIVATE_KEY: REQUESTER_KEY };
    const port = await freePort();
    const announce = `/ip4/127.0.0.1/tcp/${port}`;
    const reg = await runCli(["register", "--data-dir", dataDir, "--listen", announce, "--announce", announce], env);
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.stderr).toContain(`provider ${address} (key: ${join(dataDir, "provider.key")}) on chain 31337, market ${t.deployment.jobMarket}`);
    expect(reg.stdout).toContain(`Provider ${address} registered`);
    expect((await runCli(["stake", "10", "--data-dir", dataDir], env)).code).toBe(0);
    const status = JSON.parse((await runCli(["status", "--json", "--data-dir", dataDir], env)).stdout);
    expect(status).toMatchObject({ address, registered: true, stake: "10000000", multiaddrs: [announce] });

    // A plain start: no --listen, no --announce. It listens on register's port and the listing stays.
    const child = spawn(process.execPath, [CLI, "start", "--json", "--data-dir", dataDir, "--metrics-port", "0"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    try {
      const info = await new Promise<{ address: string; multiaddrs: string[] }>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c) => {
          out += c;
          if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))));
        });
        child.once("exit", (code) => reject(new Error(`start exited with ${code}`)));
      });
      expect(info.address).toBe(address);
      expect(info.multiaddrs).toEqual([announce]);
      // The port register was given is the daemon's now: nobody else can take it.
      await expect(new Promise((resolve, reject) => createServer().once("error", reject).listen(port, "127.0.0.1", () => resolve("free")))).rejects.toMatchObject({ code: "EADDRINUSE" });
      expect((await readProvider(t.publicClient, t.deployment.jobMarket, address as `0x${string}`)).multiaddrs).toEqual([announce]);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  });

  it("signs with ACCORD_PRIVATE_KEY only when its command line says --key-from-env", async () => {
    const r = await runCli(["address", "--data-dir", dataDir, "--key-from-env"], { ACCORD_PRIVATE_KEY: REQUESTER_KEY });
    expect(r.stdout.trim()).toBe(DEV_ACCOUNTS[DEV_ROLES.requesters[0]]!.address);
    const none = await runCli(["address", "--data-dir", mkdtempSync(join(tmpdir(), "accord-cli-nokey-"))], { ACCORD_PRIVATE_KEY: REQUESTER_KEY });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/provider key at .* does not exist.*--key-from-env/);
  });
});

describe("start-up failures end with one line", () => {
  const expectOneLine = (r: { code: number | null; lines: string[] }, re: RegExp) => {
    expect(r.code).toBe(1);
    expect(r.lines, r.lines.join("\n")).toHaveLength(1);
    expect(r.lines[0]).toMatch(re);
  };

  it("a busy metrics port is named, with the flag that moves it", async () => {
    const port = await holdPort("127.0.0.1");
    expectOneLine(await startUntilExit(["--listen", "/ip4/127.0.0.1/tcp/0", "--metrics-port", String(port)]), new RegExp(`^Error: The metrics port 127\\.0\\.0\\.1:${port} is already in use.*--metrics-port`));
  });

  it("a busy libp2p port is named, with the flag that moves it", async () => {
    const port = await holdPort("127.0.0.1");
    expectOneLine(await startUntilExit(["--listen", `/ip4/127.0.0.1/tcp/${port}`, "--metrics-port", "0"]), new RegExp(`^Error: The libp2p listen address 127\\.0\\.0\\.1:${port} is already in use.*--listen`));
  });

  it("a bad setting says which and how to fix it", async () => {
    expectOneLine(await startUntilExit(["--metrics-port", "0", "--rpc-url", "localhost:8545"]), /^Error: The setting "--rpc-url" must be an http\(s\) or ws\(s\) URL.*What to do:/);
  });
});

// Issue #15: ten `accord job submit` processes posting at once from one key: 4 of 10 succeeded,
// five failed PermitFailed (the same permit nonce, reverted in the block: paid for), one was told
// to start the local chain although the RPC was live. Each process here has its own data folder
// (its own content node); blocks come every 500 ms, so posts are pending while others sign. Every
// post must succeed, and no transaction of the account may revert.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ACCOUNTS, DEV_ROLES } from "../../scripts/devnet/accounts.ts";
import { runCli } from "./cli.ts";
import { startDevnet, type Devnet } from "../devnet.ts";

const N = 6;
const FIXTURES = join(import.meta.dirname, "../../client/fixtures/wasm");
const KEY = DEV_ACCOUNTS[DEV_ROLES.requesters[2]]!;
let net: Devnet;
let work: string;

beforeAll(async () => {
  net = await startDevnet();
  work = join(net.dir, "cli-parallel");
  await mkdir(work, { recursive: true });
  const d = net.deployment;
  await writeFile(join(work, "config.json"), JSON.stringify({ rpcUrl: net.chain.rpcUrl, chainId: d.chainId, jobMarket: d.jobMarket, token: d.token, startBlock: d.startBlock }));
  await net.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
  await net.publicClient.request({ method: "evm_setIntervalMining" as never, params: [500] as never });
}, 120_000);

afterAll(async () => {
  await net?.stop();
});

describe(`${N} accord processes posting at once from one key`, { timeout: 90_000 }, () => {
  it("all post their job; none of the account's transactions reverts", async () => {
    const from = await net.publicClient.getBlockNumber({ cacheTime: 0 });
    const runs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        runCli(
          ["--json", "job", "submit", join(FIXTURES, "echo.wasm"), "--max-price", "0.001", "--bid-window", "3600", "--payment", "permit", "--nonce", `p${i}`, "--no-wait"],
          { ACCORD_CONFIG: join(work, "config.json"), ACCORD_PRIVATE_KEY: KEY.privateKey, ACCORD_DATA_DIR: join(work, `data-${i}`) },
          work,
        ),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr + r.stdout).toBe(0);
    const ids = runs.map((r) => JSON.parse(r.stdout).jobId);
    expect(new Set(ids).size).toBe(N);
    for (const r of runs) expect(r.stderr).not.toMatch(/npm start/);

    const head = await net.publicClient.getBlockNumber({ cacheTime: 0 });
    let reverted = 0;
    for (let n = from + 1n; n <= head; n++) {
      const block = await net.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions)
        if (tx.from.toLowerCase() === KEY.address.toLowerCase() && (await net.publicClient.getTransactionReceipt({ hash: tx.hash })).status !== "success") reverted += 1;
    }
    expect(reverted).toBe(0);
  });
});

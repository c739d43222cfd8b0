// The CLI's cross-process lock per account (client/src/cli/accountLock.ts), which SubmitJob's
// `exclusive` runs the escrow-and-post step in: child processes taking it at once never overlap,
// a lock left by a dead process is taken over; and the "start the local chain" hint is given only
// for the default local URL with nothing listening (client/src/cli/rpcHint.ts).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { accountLock } from "../../client/src/cli/accountLock.ts";
import { rpcUnreachableError } from "../../client/src/cli/rpcHint.ts";

const dir = mkdtempSync(join(tmpdir(), "accord-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("the CLI's account lock", { timeout: 60_000 }, () => {
  it("lets one of several processes post at a time", async () => {
    const log = join(dir, "log.txt");
    const script = join(dir, "child.ts");
    writeFileSync(
      script,
      `import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { accountLock } from ${JSON.stringify(join(import.meta.dirname, "../../client/src/cli/accountLock.ts"))};
await accountLock(${JSON.stringify(join(dir, "locks"))}, 31337, ${JSON.stringify(ACCOUNT)})(async () => {
  appendFileSync(${JSON.stringify(log)}, "in " + process.pid + "\\n");
  await sleep(150);
  appendFileSync(${JSON.stringify(log)}, "out " + process.pid + "\\n");
});
`,
    );
    const N = 5;
    const codes = await Promise.all(
      Array.from({ length: N }, () => new Promise<number | null>((resolve) => spawn(process.execPath, [script], { stdio: "inherit" }).once("exit", resolve))),
    );
    expect(codes).toEqual(Array(N).fill(0));
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines).toHaveLength(2 * N);
    // Strictly alternating: every "in" is followed by the same process's "out".
    for (let i = 0; i < lines.length; i += 2) expect(lines[i + 1]).toBe(lines[i]!.replace("in", "out"));
  });

  it("takes over a lock whose process is gone", async () => {
    const locks = join(dir, "stale");
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => dead.once("exit", r));
    const { mkdirSync } = await import("node:fs");
    mkdirSync(locks, { recursive: true });
    writeFileSync(join(locks, `post-31337-${ACCOUNT.toLowerCase()}.lock`), `${dead.pid}\n`);
    expect(await accountLock(locks, 31337, ACCOUNT, { timeoutMs: 2_000 })(async () => "ran")).toBe("ran");
  });

  it("gives up with a clear error, before anything is sent, when another live process holds it too long", async () => {
    const locks = join(dir, "held");
    const lock = accountLock(locks, 31337, ACCOUNT);
    let ran = false;
    await lock(async () => {
      const err = await accountLock(locks, 31337, ACCOUNT, { timeoutMs: 200 })(async () => (ran = true)).catch((e) => e);
      expect(err.message).toMatch(/Another accord process \(pid \d+\) has been posting from .* nothing was sent/);
    });
    expect(ran).toBe(false);
  });
});

describe("the hint for an RPC that does not answer", () => {
  const refused = Object.assign(new Error("fetch failed"), { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" }) });
  const timeout = Object.assign(new Error("The request took too long to respond."), { name: "TimeoutError" });
  it("says to start the local chain only for the default local URL with nothing listening", () => {
    expect(rpcUnreachableError("http://127.0.0.1:8545", refused, 5_000).message).toMatch(/npm start/);
    expect(rpcUnreachableError("http://127.0.0.1:8545/", refused, 5_000).message).toMatch(/npm start/);
    expect(rpcUnreachableError("http://127.0.0.1:9999", refused, 5_000).message).not.toMatch(/npm start/);
    expect(rpcUnreachableError("http://127.0.0.1:8545", timeout, 5_000).message).not.toMatch(/npm start/);
    expect(rpcUnreachableError("https://rpc.example.org", timeout, 5_000).message).toMatch(/did not answer within 5000 ms/);
  });
});

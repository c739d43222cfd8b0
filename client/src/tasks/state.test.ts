import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskStateError } from "./errors.ts";
import { parseTaskSpec, type TaskBag } from "./spec.ts";
import { attemptNonce, TaskStateFile } from "./state.ts";

const who = { chainId: 31337, market: "0x5FbDB2315678afecb367f032d93F642f64180aa3", requester: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" };
let dir: string;
let bag: TaskBag;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-taskstate-"));
  await writeFile(join(dir, "m.wasm"), await readFile(join(import.meta.dirname, "../../fixtures/wasm/echo.wasm")));
  bag = await parseTaskSpec({ module: "m.wasm", tasks: [{ name: "a", args: ["1"] }, { name: "b" }] }, { baseDir: dir });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the run's state file", () => {
  it("starts fresh, keeps what was recorded across opens, and gives each attempt its own nonce", async () => {
    const path = join(dir, "s1.json");
    const s = await TaskStateFile.open(path, bag, who);
    expect(Object.keys(s.state.tasks)).toEqual(["a", "b"]);
    s.state.tasks.a!.attempts.push({ n: 1, manifestCid: "bafy-a", status: "posting", since: "7" });
    await s.close();
    const again = await TaskStateFile.open(path, bag, who);
    expect(again.state.runId).toBe(s.state.runId);
    expect(again.state.tasks.a!.attempts[0]).toMatchObject({ status: "posting", since: "7" });
    expect(attemptNonce(s.state.runId, "a", 1)).not.toBe(attemptNonce(s.state.runId, "a", 2));
  });

  it("refuses a state of another account, or whose posted tasks the spec now describes differently", async () => {
    const path = join(dir, "s2.json");
    const s = await TaskStateFile.open(path, bag, who);
    s.state.tasks.a!.attempts.push({ n: 1, manifestCid: "bafy-a", status: "posted", jobId: "1", postedBlock: "3" });
    await s.close();
    await expect(TaskStateFile.open(path, bag, { ...who, requester: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" })).rejects.toThrow(TaskStateError);
    const changed = await parseTaskSpec({ module: "m.wasm", tasks: [{ name: "a", args: ["2"] }, { name: "b" }] }, { baseDir: dir });
    await expect(TaskStateFile.open(path, changed, who)).rejects.toThrow(/1 task\(s\) that the spec now describes differently \(a\)/);
    // A task not posted yet may change freely; a task added to the spec joins the run.
    const grown = await parseTaskSpec({ module: "m.wasm", tasks: [{ name: "a", args: ["1"] }, { name: "b", args: ["new"] }, { name: "c" }] }, { baseDir: dir });
    expect(Object.keys((await TaskStateFile.open(path, grown, who)).state.tasks)).toEqual(["a", "b", "c"]);
  });

  it("refuses a file that is not a run state, saying what to do", async () => {
    const path = join(dir, "s3.json");
    await writeFile(path, "{ not json");
    await expect(TaskStateFile.open(path, bag, who)).rejects.toThrow(/cannot be read/);
  });
});

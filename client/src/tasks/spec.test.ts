import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidTaskSpecError } from "./errors.ts";
import { jobParamsOf } from "../actions/chain/offer.ts";
import { cidOfBytes } from "../content/cid.ts";
import { loadTaskSpec, parseTaskSpec, type TaskBag } from "./spec.ts";

const ECHO = join(import.meta.dirname, "../../fixtures/wasm/echo.wasm");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accord-taskspec-"));
  await writeFile(join(dir, "echo.wasm"), await readFile(ECHO));
  await mkdir(join(dir, "shards"));
  for (const n of ["b", "a", "c"]) await writeFile(join(dir, "shards", `${n}.csv`), `${n}\n`);
  await writeFile(join(dir, "words.txt"), "alpha\n\nbeta\r\ngamma\n");
  await writeFile(join(dir, "shared.txt"), "shared");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const parse = (spec: unknown) => parseTaskSpec(spec, { baseDir: dir, file: "spec.json" });
async function problemsOf(spec: unknown) {
  const err = await parse(spec).then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(InvalidTaskSpecError);
  return (err as InvalidTaskSpecError).problems;
}

describe("task specs", () => {
  it("expands a task list with shared and own args, env and inputs", async () => {
    const bag = await parse({
      module: "echo.wasm",
      args: ["echo", "-v"],
      env: { MODE: "fast" },
      inputs: { "shared.txt": "shared.txt" },
      trust: { replicas: 3, quorum: 2 },
      price: { maxPrice: "0.5" },
      tasks: [
        { name: "one", args: ["1"], env: { MODE: "slow", N: "1" }, inputs: { "data.csv": "shards/a.csv" } },
        { name: "two", args: ["2"], limits: { fuel: 1000 } },
      ],
    });
    expect(bag.tasks.map((t) => t.args)).toEqual([["echo", "-v", "1"], ["echo", "-v", "2"]]);
    expect(bag.tasks[0]!.env).toEqual({ MODE: "slow", N: "1" });
    expect(Object.keys(bag.tasks[0]!.inputs)).toEqual(["data.csv"]);
    expect(new TextDecoder().decode(bag.sharedInputs["shared.txt"])).toBe("shared");
    expect(bag.tasks[1]!.limits.fuel).toBe(1000);
    expect(bag.offer).toMatchObject({ replicas: 3, quorum: 2 });
    expect(bag.maxPrice).toBe("0.5");
    expect(bag.tasks[0]!.digest).not.toBe(bag.tasks[1]!.digest);
  });

  it("generates one task per value of a range, per file of a glob and per line of a file", async () => {
    const range = await parse({ module: "echo.wasm", generate: { range: { from: 0, to: 9, step: 3 } }, task: { name: "tile-{value}", args: ["{value}", "{{x}}"] } });
    expect(range.tasks.map((t) => t.name)).toEqual(["tile-0", "tile-3", "tile-6", "tile-9"]);
    expect(range.tasks[1]!.args).toEqual(["echo.wasm", "3", "{x}"]);

    const files = await parse({ module: "echo.wasm", generate: { glob: "shards/*.csv" } });
    expect(files.tasks.map((t) => t.name)).toEqual(["a", "b", "c"]);
    expect(Object.keys(files.tasks[0]!.inputs)).toEqual(["a.csv"]);

    const lines = await parse({ module: "echo.wasm", generate: { lines: "words.txt" }, task: { args: ["{value}"], env: { I: "{index}" } } });
    expect(lines.tasks.map((t) => [t.name, t.args[1], t.env.I])).toEqual([["line-0", "alpha", "0"], ["line-1", "beta", "1"], ["line-2", "gamma", "2"]]);
  });

  it("refuses a spec with bad entries whole, naming each problem and what to do", async () => {
    const problems = await problemsOf({
      module: "echo.wasm",
      trust: { replicas: 3, quorum: 1 },
      tasks: [
        { name: "ok", args: ["1"] },
        { name: "ok", args: ["2"] },
        { name: "../escape" },
        { name: "missing", inputs: { "d.csv": "nope.csv" } },
        { name: "badpath", inputs: { "/abs": "shared.txt" } },
        { name: "nul", args: ["a\0b"] },
      ],
    });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["trust.quorum", "tasks[1].name", "tasks[2].name", 'tasks[3].inputs["d.csv"]', 'tasks[4].inputs["/abs"]', "tasks[5] (manifest args[1])"]));
    expect(problems.find((p) => p.path === "tasks[1].name")!.problem).toContain("tasks[0]");
    expect(problems.find((p) => p.path === 'tasks[3].inputs["d.csv"]')!.problem).toContain("ENOENT");
    expect(problems).toHaveLength(6);
    for (const p of problems) expect(p.fix.length).toBeGreaterThan(5);
  });

  it("names schema problems by path, and generator problems", async () => {
    const schema = await problemsOf({ module: 3, tasks: [{ name: "x", argz: [] }], price: { maxPrice: "lots" } });
    expect(schema.map((p) => p.path)).toEqual(expect.arrayContaining(["module", "tasks[0]", "price.maxPrice"]));
    expect(await problemsOf({ module: "echo.wasm" })).toEqual([expect.objectContaining({ path: "tasks" })]);
    expect((await problemsOf({ module: "echo.wasm", generate: { glob: "none/*.x" } }))[0]!.path).toBe("generate.glob");
    expect((await problemsOf({ module: "echo.wasm", generate: { glob: "../*" } }))[0]!.problem).toContain("outside");
    expect((await problemsOf({ module: "echo.wasm", generate: { range: { from: 0, to: 2 } }, task: { name: "t-{nope}" } }))[0]!.path).toBe("task.name");
    expect((await problemsOf({ module: "echo.wasm", generate: { range: { from: 0, to: 2 } }, task: { name: "same" } })).map((p) => p.path)).toEqual(["task (for \"1\").name", "task (for \"2\").name"]);
    expect((await problemsOf({ module: "missing.wasm", tasks: [{ name: "a" }] }))[0]!.path).toBe("module");
  });

  it("derives every task's replicas and quorum from a confidence target, as the SDK does, and refuses it beside replicas or quorum", async () => {
    const bag = await parse({ module: "echo.wasm", trust: { confidence: 0.9999 }, tasks: [{ name: "a" }] });
    // 0.1^4 = 1e-4: the cheapest job at 99.99 % against the default 10 % share is unanimous over four.
    expect(bag.offer).toMatchObject({ replicas: 4, quorum: 4 });
    expect(bag.trustPlan).toMatchObject({ replicas: 4, quorum: 4, confidence: 0.9999, adversaryShare: 0.1 });
    const wary = await parse({ module: "echo.wasm", trust: { confidence: 0.9999, adversaryShare: 0.2 }, tasks: [{ name: "a" }] });
    expect(wary.offer).toMatchObject({ replicas: 6, quorum: 6 });
    expect((await parse({ module: "echo.wasm", trust: { replicas: 3, quorum: 2 }, tasks: [{ name: "a" }] })).trustPlan).toBeUndefined();

    const both = await problemsOf({ module: "echo.wasm", trust: { confidence: 0.999, replicas: 3, quorum: 2 }, tasks: [{ name: "a" }, { name: "a" }] });
    expect(both.map((p) => p.path)).toEqual(["trust.confidence", "tasks[1].name"]);
    expect(both[0]!.problem).toBe('is given together with "replicas" and "quorum", and each decides the replicas and quorum');
    expect(both[0]!.fix).toMatch(/either "confidence".*or "replicas".*not both/);
    expect((await problemsOf({ module: "echo.wasm", trust: { confidence: 0.9, quorum: 1 }, tasks: [{ name: "a" }] }))[0]!.problem).toContain('"quorum"');

    const refused = async (trust: unknown) => (await problemsOf({ module: "echo.wasm", trust, tasks: [{ name: "a" }] })).map((p) => [p.path, p.problem]);
    expect(await refused({ adversaryShare: 0.1 })).toEqual([["trust.adversaryShare", 'is given without "confidence"']]);
    expect(await refused({})).toEqual([["trust.replicas", expect.stringContaining('"confidence"')]]);
    expect(await refused({ confidence: 1.5 })).toEqual([["trust.confidence", "1.5 is not between 0 and 1"]]);
    expect(await refused({ confidence: 0.99, adversaryShare: 1 })).toEqual([["trust.adversaryShare", "1 is not a share from 0 up to 1"]]);
    expect(await refused({ confidence: "high" })).toEqual([["trust.confidence", "must be a number between 0 and 1, such as 0.9999"]]);
    const [unreachable] = await problemsOf({ module: "echo.wasm", trust: { confidence: 0.999999999999, adversaryShare: 0.5 }, tasks: [{ name: "a" }] });
    expect(unreachable).toMatchObject({ path: "trust.confidence", problem: expect.stringContaining("No job reaches confidence"), fix: expect.stringContaining("adversaryShare") });
  });

  it("lets every task escalate up to trust.maxReplicas, the confidence plan's cap by default, and posts that cap", async () => {
    const manifestCid = await cidOfBytes(new Uint8Array([1]));
    const posted = (bag: TaskBag) => jobParamsOf({ ...bag.offer, maxPrice: 1n, manifestCid });
    // Set outright without a cap: the job never escalates, as submitJob's default.
    const plain = await parse({ module: "echo.wasm", trust: { replicas: 3, quorum: 2 }, tasks: [{ name: "a" }] });
    expect(posted(plain).maxReplicas).toBe(3);
    const capped = await parse({ module: "echo.wasm", trust: { replicas: 3, quorum: 2, maxReplicas: 7 }, tasks: [{ name: "a" }] });
    expect(capped.offer.maxReplicas).toBe(7);
    expect(posted(capped)).toMatchObject({ replicas: 3, quorum: 2, maxReplicas: 7 });
    // 99.99 % against 10 %: unanimous over four, and the planner allows twice that.
    const planned = await parse({ module: "echo.wasm", trust: { confidence: 0.9999 }, tasks: [{ name: "a" }] });
    expect(posted(planned)).toMatchObject({ replicas: 4, quorum: 4, maxReplicas: 8 });
    expect(planned.trustPlan!.maxReplicas).toBe(8);
    const own = await parse({ module: "echo.wasm", trust: { confidence: 0.9999, maxReplicas: 4 }, tasks: [{ name: "a" }] });
    expect(posted(own).maxReplicas).toBe(4);

    const refused = async (trust: unknown) => (await problemsOf({ module: "echo.wasm", trust, tasks: [{ name: "a" }] })).map((p) => [p.path, p.problem, p.fix]);
    expect(await refused({ replicas: 3, maxReplicas: 2 })).toEqual([["trust.maxReplicas", "2 is not between the 3 replicas and 16", "Allow between 3 (no escalation) and 16 replicas in all."]]);
    expect(await refused({ replicas: 3, maxReplicas: 17 })).toEqual([["trust.maxReplicas", "17 is not between the 3 replicas and 16", expect.any(String)]]);
    expect(await refused({ confidence: 0.9999, maxReplicas: 3 })).toEqual([["trust.maxReplicas", "3 is not between the 4 replicas and 16", expect.any(String)]]);
    expect(await refused({ replicas: 3, maxReplicas: 4.5 })).toEqual([["trust.maxReplicas", "must be a whole number", expect.any(String)]]);
  });

  it("reads a spec file and reports a file that is not JSON", async () => {
    await writeFile(join(dir, "good.json"), JSON.stringify({ module: "echo.wasm", tasks: [{ name: "a" }] }));
    expect((await loadTaskSpec(join(dir, "good.json"))).tasks).toHaveLength(1);
    await writeFile(join(dir, "bad.json"), "{ module: ");
    await expect(loadTaskSpec(join(dir, "bad.json"))).rejects.toThrow(/is not JSON/);
  });
});

import { glob, readFile, stat } from "node:fs/promises";
import { basename, extname, isAbsolute, resolve, sep } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { checkJobOffer, type JobOffer } from "../actions/chain/offer.ts";
import { InvalidJobParametersError } from "../actions/errors.ts";
import { cidOfBytes } from "../content/cid.ts";
import { canonicalJson } from "../manifest/canonical.ts";
import { formatFieldPath, InvalidManifestError } from "../manifest/errors.ts";
import { encodeManifest } from "../manifest/manifest.ts";
import { MANIFEST_RUNTIME, MANIFEST_VERSION, MAX_NONCE_BYTES } from "../manifest/constants.ts";
import { inputPathProblem, type ManifestLimits } from "../manifest/schema.ts";
import { DEFAULT_LIMITS, MAX_MODULE_BYTES } from "../sandbox/constants.ts";
import { replicasForConfidence, type ReplicaPlan } from "../trust/confidence.ts";
import { ConfidenceUnreachableError, InvalidConfidenceError } from "../trust/errors.ts";
import { InvalidTaskSpecError, type TaskSpecProblem } from "./errors.ts";
import { DEFAULT_MAX_ATTEMPTS, MAX_TASKS, TASK_NAME, taskSpecSchema, type TaskSpecFile } from "./schema.ts";
import { fillTemplate, type TemplateVars } from "./template.ts";

/** A file on this machine that a task mounts: read when its batch is posted, not before. */
export type TaskFile = { path: string; bytes: number };

/** One task of the bag, expanded and checked: everything its manifest needs but the content. */
export type Task = {
  name: string;
  /** The whole argv: the spec's args, then the task's. */
  args: string[];
  env: Record<string, string>;
  /** The task's own inputs (the shared ones are in the bag). */
  inputs: Record<string, TaskFile>;
  stdin?: TaskFile;
  limits: ManifestLimits;
  /** Digest of what the task is: a resumed run refuses a state file whose task changed. */
  digest: string;
};

/** A bag of tasks: one module, content shared by every task, the job terms, and the tasks. */
export type TaskBag = {
  file: string;
  module: Uint8Array;
  moduleCid: string;
  /** Mounted in every task (uploaded once). */
  sharedInputs: Record<string, Uint8Array>;
  sharedStdin?: Uint8Array;
  /** The job terms of every task; maxPrice is resolved at run time ("auto" asks the market). */
  offer: Omit<JobOffer, "maxPrice">;
  /** When the spec's trust is a confidence target: the replicas and quorum derived from it, with their odds. */
  trustPlan?: ReplicaPlan;
  maxPrice: string;
  maxAttempts: number;
  tasks: Task[];
};

/** Largest file read as one task input (it is held in memory while its batch is prepared). */
export const MAX_TASK_INPUT_BYTES = 256 * 1024 * 1024;

/** Reads a JSON task spec and checks all of it (see parseTaskSpec). */
export async function loadTaskSpec(file: string): Promise<TaskBag> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InvalidTaskSpecError(file, [{ path: "(file)", problem: `cannot be read (${(err as Error).message})`, fix: "Check the path of the spec file." }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidTaskSpecError(file, [{ path: "(file)", problem: `is not JSON (${(err as Error).message})`, fix: "Write the spec as a JSON object (see examples/tiles/tiles.json and examples/tiles/README.md)." }]);
  }
  return parseTaskSpec(value, { file, baseDir: resolve(file, "..") });
}

/**
 * Checks a task spec whole and expands it into tasks: the schema, then every file it names
 * (module, shared and per-task inputs), the generator, each task's name, and each task's manifest
 * (args, env, input paths, limits, size) as providers will check it. Every problem found is
 * collected and thrown at once as InvalidTaskSpecError, so nothing is paid for a spec with a
 * bad entry, and one run shows the user all there is to fix.
 */
export async function parseTaskSpec(value: unknown, options: { file?: string; baseDir: string }): Promise<TaskBag> {
  const file = options.file ?? "(spec)";
  const problems: TaskSpecProblem[] = [];
  const add = (path: string, problem: string, fix: string) => problems.push({ path, problem, fix });
  const parsed = taskSpecSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      add(formatFieldPath(issue.path), issue.code === "unrecognized_keys" ? `has unknown field(s) ${issue.keys.join(", ")}` : issue.message, "See the task spec fields in examples/tiles/README.md (\"The task spec\").");
    throw new InvalidTaskSpecError(file, problems);
  }
  const s = parsed.data;
  const at = (p: string) => resolve(options.baseDir, p);

  const module = await readSmall(at(s.module), MAX_MODULE_BYTES, "module", add);
  const sharedInputs: Record<string, Uint8Array> = {};
  for (const [name, path] of Object.entries(s.inputs ?? {})) {
    const problem = inputPathProblem(name);
    if (problem) add(`inputs[${JSON.stringify(name)}]`, `name ${problem}`, "Name inputs by their path under /input, e.g. data/points.csv.");
    const bytes = await readSmall(at(path), MAX_TASK_INPUT_BYTES, `inputs[${JSON.stringify(name)}]`, add);
    if (bytes) sharedInputs[name] = bytes;
  }
  const sharedStdin = s.stdin ? await readSmall(at(s.stdin), MAX_TASK_INPUT_BYTES, "stdin", add) : undefined;

  const trust = trustTerms(s.trust, add);
  const offer: Omit<JobOffer, "maxPrice"> = {
    replicas: trust?.replicas ?? 1,
    quorum: trust?.quorum,
    ...(trust?.maxReplicas !== undefined ? { maxReplicas: trust.maxReplicas } : {}),
    bidWindow: s.windows?.bid,
    commitWindow: s.windows?.commit,
    revealWindow: s.windows?.reveal,
    minReputation: s.minReputation,
  };
  try {
    // The price is checked when it is resolved; the rest of the terms are checked here.
    checkJobOffer({ ...offer, maxPrice: 1n });
  } catch (err) {
    if (!(err instanceof InvalidJobParametersError)) throw err;
    add(termPath(err.field), err.shortMessage.replace(/^Invalid job parameter \w+: /, "").replace(/\.$/, ""), err.fix ?? "");
  }

  const raw = s.tasks ? s.tasks.map((t, i) => ({ at: `tasks[${i}]`, task: t })) : await generateTasks(s, options.baseDir, add);
  if (raw.length > MAX_TASKS) add(s.tasks ? "tasks" : "generate", `expands to ${raw.length} tasks, more than ${MAX_TASKS}`, "Split the work into several specs.");
  const moduleCid = module ? (await cidOfBytes(module)).toString() : undefined;
  const names = new Map<string, string>();
  const tasks: Task[] = [];
  for (const { at: where, task: t } of raw.slice(0, MAX_TASKS)) {
    if (!TASK_NAME.test(t.name)) add(`${where}.name`, `"${t.name}" is not a usable task name (it names the task's output folder)`, "Use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.");
    const seen = names.get(t.name);
    if (seen !== undefined) add(`${where}.name`, `"${t.name}" is also the name of ${seen}`, "Give every task its own name (in a generator, put {index} or {stem} in task.name).");
    names.set(t.name, where);
    const inputs: Record<string, TaskFile> = {};
    for (const [name, path] of Object.entries(t.inputs ?? {})) {
      const p = `${where}.inputs[${JSON.stringify(name)}]`;
      const problem = inputPathProblem(name);
      if (problem) add(p, `name ${problem}`, "Name inputs by their path under /input, e.g. data/points.csv.");
      if (Object.hasOwn(s.inputs ?? {}, name)) add(p, `"${name}" is also a shared input`, "Rename the task's input or the shared one.");
      const f = await statFile(at(path), p, add);
      if (f) inputs[name] = f;
    }
    const stdin = t.stdin !== undefined ? await statFile(at(t.stdin), `${where}.stdin`, add) : undefined;
    const task: Task = {
      name: t.name,
      args: [...(s.args ?? [basename(s.module)]), ...(t.args ?? [])],
      env: { ...s.env, ...t.env },
      inputs,
      ...(stdin ? { stdin } : {}),
      limits: { ...DEFAULT_LIMITS, ...s.limits, ...t.limits },
      digest: "",
    };
    if (moduleCid) checkManifest(task, moduleCid, Object.keys(sharedInputs), sharedStdin !== undefined, where, add);
    task.digest = taskDigest(t, task, s);
    tasks.push(task);
  }
  if (raw.length === 0 && problems.length === 0) add(s.tasks ? "tasks" : "generate", "gives no task", "Name at least one task, or point the generator at something that exists.");
  if (problems.length) throw new InvalidTaskSpecError(file, problems);
  return { file, module: module!, moduleCid: moduleCid!, sharedInputs, sharedStdin, offer, ...(trust?.plan ? { trustPlan: trust.plan } : {}), maxPrice: s.price?.maxPrice ?? "auto", maxAttempts: s.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, tasks };
}

type RawTask = NonNullable<TaskSpecFile["tasks"]>[number];
type Add = (path: string, problem: string, fix: string) => void;

const termPath = (field: string) =>
  ({ replicas: "trust.replicas", quorum: "trust.quorum", maxReplicas: "trust.maxReplicas", bidWindow: "windows.bid", commitWindow: "windows.commit", revealWindow: "windows.reveal", minReputation: "minReputation" })[field] ?? field;

/**
 * The replicas and quorum of every task: set outright, or the cheapest that reach the spec's
 * confidence against its adversaryShare (replicasForConfidence). Both ways at once is refused, as
 * the SDK refuses them (chooseReplicas), but in the spec's own words. The escalation cap is the
 * spec's own, else the plan's (as submitJob takes it), else none (k). Undefined when refused.
 */
function trustTerms(trust: TaskSpecFile["trust"], add: Add): { replicas: number; quorum?: number; maxReplicas?: number; plan?: ReplicaPlan } | undefined {
  if (!trust) return { replicas: 1 };
  const cap = trust.maxReplicas;
  const set = (["replicas", "quorum"] as const).filter((k) => trust[k] !== undefined);
  if (trust.confidence === undefined) {
    if (trust.adversaryShare !== undefined) {
      add("trust.adversaryShare", 'is given without "confidence"', 'Add "confidence" (e.g. 0.9999) to have the replicas and quorum derived, or drop "adversaryShare" when setting "replicas" yourself.');
      return undefined;
    }
    if (trust.replicas === undefined) {
      add("trust.replicas", 'is missing: trust needs "replicas" (and "quorum") or "confidence"', 'Give "confidence" (e.g. 0.9999) to have the replicas and quorum derived, or "replicas" (and "quorum").');
      return undefined;
    }
    return { replicas: trust.replicas, quorum: trust.quorum, ...(cap !== undefined ? { maxReplicas: cap } : {}) };
  }
  if (set.length) {
    add("trust.confidence", `is given together with ${set.map((k) => `"${k}"`).join(" and ")}, and each decides the replicas and quorum`, 'Give either "confidence" (and "adversaryShare") to have them derived, or "replicas" (and "quorum") to set them yourself, not both.');
    return undefined;
  }
  try {
    const plan = replicasForConfidence({ confidence: trust.confidence, adversaryShare: trust.adversaryShare });
    return { replicas: plan.replicas, quorum: plan.quorum, maxReplicas: cap ?? plan.maxReplicas, plan };
  } catch (err) {
    if (err instanceof InvalidConfidenceError) add(`trust.${err.field}`, err.shortMessage.replace(/^Invalid \w+: /, "").replace(/\.$/, ""), err.fix ?? "");
    else if (err instanceof ConfidenceUnreachableError) add("trust.confidence", err.shortMessage.replace(/\.$/, ""), err.fix ?? "");
    else throw err;
    return undefined;
  }
}

/** One task per value of the generator, from the `task` template. */
async function generateTasks(s: TaskSpecFile, baseDir: string, add: Add): Promise<Array<{ at: string; task: RawTask }>> {
  const g = s.generate!;
  let values: Array<{ value: string; stem: string }> = [];
  let defaultName: string;
  if ("range" in g) {
    const { from, to, step = 1 } = g.range;
    if (to < from) add("generate.range", `runs from ${from} down to ${to}`, "Give a range with from <= to.");
    else if ((to - from) / step + 1 > MAX_TASKS) add("generate.range", `has ${Math.floor((to - from) / step) + 1} values, more than ${MAX_TASKS}`, "Narrow the range or raise its step.");
    else for (let v = from; v <= to; v += step) values.push({ value: String(v), stem: String(v) });
    defaultName = "task-{value}";
  } else if ("glob" in g) {
    if (isAbsolute(g.glob) || g.glob.split(/[\\/]/).includes("..")) add("generate.glob", `"${g.glob}" reaches outside the spec's folder`, "Write the pattern relative to the spec's folder, e.g. shards/*.csv.");
    else {
      for await (const match of glob(g.glob, { cwd: baseDir })) values.push({ value: match.split(sep).join("/"), stem: basename(match, extname(match)) });
      values.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      if (values.length === 0) add("generate.glob", `"${g.glob}" matches no file in ${baseDir}`, "Check the pattern; it is relative to the spec's folder.");
    }
    defaultName = "{stem}";
  } else {
    let text: string | undefined;
    try {
      text = await readFile(resolve(baseDir, g.lines), "utf8");
    } catch (err) {
      add("generate.lines", `${g.lines} cannot be read (${(err as Error).message})`, "Check the path; it is relative to the spec's folder.");
    }
    for (const line of text?.split("\n") ?? []) {
      const v = line.replace(/\r$/, "");
      if (v.trim() !== "") values.push({ value: v, stem: v });
    }
    defaultName = "line-{index}";
  }
  const tpl = s.task ?? {};
  return values.map(({ value, stem }, i) => {
    const vars: TemplateVars = { value, index: String(i), stem };
    const where = `task (for ${JSON.stringify(value)})`;
    const fill = (text: string, path: string) => {
      const r = fillTemplate(text, vars);
      if (r.ok) return r.text;
      add(`task.${path}`, `uses ${r.unknown}, which is not {value}, {index} or {stem}`, "Use one of those placeholders, or write {{ and }} for literal braces.");
      return text;
    };
    const map = (rec: Record<string, string> | undefined, path: string) =>
      rec ? Object.fromEntries(Object.entries(rec).map(([k, v]) => [fill(k, `${path}[${JSON.stringify(k)}]`), fill(v, `${path}[${JSON.stringify(k)}]`)])) : undefined;
    const task: RawTask = {
      name: fill(tpl.name ?? defaultName, "name"),
      args: tpl.args?.map((a, j) => fill(a, `args[${j}]`)),
      env: map(tpl.env, "env"),
      inputs: map(tpl.inputs, "inputs") ?? ("glob" in g && !tpl.inputs ? { [basename(value)]: value } : undefined),
      stdin: tpl.stdin !== undefined ? fill(tpl.stdin, "stdin") : undefined,
      limits: tpl.limits,
    };
    return { at: where, task };
  });
}

async function readSmall(path: string, max: number, where: string, add: Add): Promise<Uint8Array | undefined> {
  const f = await statFile(path, where, add, max);
  if (!f) return undefined;
  return new Uint8Array(await readFile(path));
}

async function statFile(path: string, where: string, add: Add, max = MAX_TASK_INPUT_BYTES): Promise<TaskFile | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      add(where, `${path} is not a regular file`, "Point it at a file.");
      return undefined;
    }
    if (info.size > max) {
      add(where, `${path} is ${info.size} bytes, more than ${max}`, "Split the file, or give each task its part.");
      return undefined;
    }
    return { path, bytes: info.size };
  } catch (err) {
    add(where, `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "Check the path; it is relative to the spec's folder.");
    return undefined;
  }
}

/**
 * The manifest the task will post, checked with the module's CID standing in for every input's
 * (all are CIDv1 sha2-256 in base32, so they have the same length): the manifest's rules and
 * size do not depend on the content, so a task that passes here posts a valid manifest.
 */
function checkManifest(task: Task, moduleCid: string, shared: string[], sharedStdin: boolean, where: string, add: Add): void {
  // Names already refused on their own are left out, so each shows once.
  const inputs = Object.fromEntries([...shared, ...Object.keys(task.inputs)].filter((n) => !inputPathProblem(n)).map((n) => [n, moduleCid]));
  try {
    encodeManifest({
      version: MANIFEST_VERSION,
      runtime: MANIFEST_RUNTIME,
      module: moduleCid,
      args: task.args,
      env: task.env,
      ...(task.stdin || sharedStdin ? { stdin: moduleCid } : {}),
      inputs,
      limits: task.limits,
      resultPublicKey: `0x${"0".repeat(64)}`,
      // As long as the longest nonce a run gives an attempt (see state.ts attemptNonce).
      nonce: "x".repeat(Math.min(MAX_NONCE_BYTES, 160)),
    });
  } catch (err) {
    if (!(err instanceof InvalidManifestError)) throw err;
    for (const i of err.issues) add(`${where} (manifest ${i.field})`, i.rule, "Correct the task's args, env, inputs or limits (docs/PROTOCOL.md, ## Manifest).");
  }
}

/** Over the paths as the spec writes them (relative to its folder), so a run resumed from another folder matches. */
function taskDigest(raw: RawTask, task: Task, s: TaskSpecFile): string {
  const what = { module: s.module, inputs: s.inputs ?? {}, stdin: s.stdin ?? null, name: task.name, args: task.args, env: task.env, taskInputs: raw.inputs ?? {}, taskStdin: raw.stdin ?? null, limits: task.limits };
  return bytesToHex(sha256(new TextEncoder().encode(canonicalJson(what)))).slice(0, 32);
}

import {
  MAX_BID_WINDOW_SECONDS,
  MAX_PHASE_WINDOW_SECONDS,
  MAX_PRICE_UNITS,
  MAX_REPLICAS,
  MAX_REPUTATION_BPS,
  MIN_PHASE_WINDOW_SECONDS,
  type JobOffer,
} from "@accord/client/actions/chain";
import { inputPathProblem, MANIFEST_RUNTIME, MANIFEST_VERSION, MAX_ARGS_COUNT, MAX_ENV_COUNT, MAX_MEMORY_PAGES, type Manifest } from "@accord/client/manifest";
import { validateModule } from "@accord/client/sandbox/validate";
import { DEFAULT_ADVERSARY_SHARE, replicaOdds, replicasForConfidence, type Odds } from "@accord/client/trust";
import { parseUnits } from "viem";
import { formatBytes } from "./format.ts";

/** What the post form holds: text as typed, so every field can say what is wrong with it. */
export type JobFormValues = {
  module: File | undefined;
  inputs: File[];
  stdin: File | undefined;
  args: string;
  env: string;
  /** A CONFIDENCE_CHOICES value: a target that sets replicas and quorum, or "custom". */
  confidence: string;
  replicas: string;
  quorum: string;
  /**
   * The most replicas escalation may bring the job to when its reveals leave no quorum (k..16);
   * empty for k, no escalation. A confidence choice fills in its plan's cap, as the CLI's does.
   */
  maxReplicas: string;
  maxPrice: string;
  fuel: string;
  memoryMiB: string;
  wallClockS: string;
  bidWindowS: string;
  commitWindowS: string;
  revealWindowS: string;
  minReputationPct: string;
};

export type JobFormErrors = Partial<Record<keyof JobFormValues, string>>;

const DAY_S = 86_400;
const days = (s: number) => `${s / DAY_S} day${s === DAY_S ? "" : "s"}`;
/** Output limits the form does not ask about; generous for the jobs a browser user posts. */
export const DEFAULT_OUTPUT_LIMITS = { stdoutBytes: 1 << 20, stderrBytes: 1 << 20, outputFiles: 64, outputBytes: 16 << 20 } as const;
const PAGE_BYTES = 64 * 1024;
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

export const INITIAL_VALUES: JobFormValues = {
  module: undefined,
  inputs: [],
  stdin: undefined,
  args: "",
  env: "",
  confidence: "custom",
  replicas: "3",
  quorum: "2",
  maxReplicas: "",
  maxPrice: "",
  fuel: "1000000000",
  memoryMiB: "64",
  wallClockS: "60",
  bidWindowS: "0",
  commitWindowS: "600",
  revealWindowS: "600",
  minReputationPct: "0",
};

const int = (s: string): number | undefined => (/^\s*\d+\s*$/.test(s) ? Number(s) : undefined);

/**
 * What the form offers instead of typing replicas and quorum: a confidence that the accepted result
 * is right, against colluders holding DEFAULT_ADVERSARY_SHARE of the providers' stake. Each fills
 * replicas and quorum with the cheapest job that gives it (replicasForConfidence); "custom" leaves
 * them to the user.
 */
export const CONFIDENCE_CHOICES = [
  { value: "custom", label: "Custom replicas and quorum" },
  { value: "0.999", label: "Standard: 99.9 %" },
  { value: "0.9999", label: "High: 99.99 %" },
] as const;

/**
 * The form with a confidence chosen: its replicas and quorum filled in for a target, and the
 * escalation cap the planner gives it (min(16, 2k), as `accord job submit --confidence` and
 * submitJob take it) unless `ownCap` (the user typed a cap, which a request naming one keeps);
 * all kept for "custom".
 */
export function withConfidence(v: JobFormValues, choice: string, ownCap = false): JobFormValues {
  if (choice === "custom") return { ...v, confidence: choice };
  const plan = replicasForConfidence({ confidence: Number(choice), adversaryShare: DEFAULT_ADVERSARY_SHARE });
  return { ...v, confidence: choice, replicas: String(plan.replicas), quorum: String(plan.quorum), ...(ownCap ? {} : { maxReplicas: String(plan.maxReplicas) }) };
}

/**
 * The form with replicas or quorum typed by hand: no longer what a confidence choice set, and,
 * unless the user typed a cap (`ownCap`), without the plan's cap either: replicas set outright
 * escalate only when asked to, as `--replicas` without `--max-replicas` does.
 */
export function withReplicasTyped<K extends "replicas" | "quorum">(v: JobFormValues, key: K, value: string, ownCap: boolean): JobFormValues {
  return { ...v, [key]: value, confidence: "custom", ...(ownCap ? {} : { maxReplicas: "" }) };
}

/** The replicas the job's escrow covers: the cap typed or planned, else k. Undefined until valid. */
export function escrowedReplicasOf(v: JobFormValues): number | undefined {
  const k = int(v.replicas);
  if (k === undefined || k < 1 || k > MAX_REPLICAS) return undefined;
  if (!v.maxReplicas.trim()) return k;
  const cap = int(v.maxReplicas);
  return cap !== undefined && cap >= k && cap <= MAX_REPLICAS ? cap : undefined;
}

/** The odds of the replicas and quorum in the form against DEFAULT_ADVERSARY_SHARE; undefined until they are valid. */
export function formOdds(v: JobFormValues): (Odds & { adversaryShare: number }) | undefined {
  const k = int(v.replicas);
  const m = int(v.quorum);
  if (k === undefined || m === undefined || k < 1 || k > MAX_REPLICAS || !(m > k / 2 && m <= k)) return undefined;
  return { ...replicaOdds(k, m, DEFAULT_ADVERSARY_SHARE), adversaryShare: DEFAULT_ADVERSARY_SHARE };
}

export function parseArgs(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l, i, all) => l !== "" || i < all.length - 1);
}

export function parseEnv(text: string): { env: Record<string, string>; problem?: string } {
  const env: Record<string, string> = {};
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { env, problem: `Line ${i + 1} is not NAME=value.` };
    const name = line.slice(0, eq);
    if (name in env) return { env, problem: `${name} is set twice (line ${i + 1}).` };
    env[name] = line.slice(eq + 1);
  }
  return { env };
}

/** Is it a WebAssembly binary? Checked on the first bytes, before anything is uploaded. */
export async function isWasm(file: File): Promise<boolean> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  return WASM_MAGIC.every((b, i) => head[i] === b);
}

/** What the module check found: nothing wrong, or the sandbox's own words for what is. */
export type ModuleCheck = { ok: true } | { ok: false; problem: string };

/**
 * The module checked by the sandbox's own validator (the code every provider runs before it
 * bids), in the browser before anything is uploaded or paid: a module importing anything but
 * WASI preview 1, without a `_start`, or needing more memory than the job allows is refused by
 * every provider, so the form refuses it first.
 */
export async function checkModule(file: File, memoryPages: number): Promise<ModuleCheck> {
  if (!(await isWasm(file))) return { ok: false, problem: `${file.name} is not a WebAssembly binary (it does not start with \\0asm). Compile for wasm32-wasi.` };
  try {
    validateModule(new Uint8Array(await file.arrayBuffer()), { memoryPages: Math.max(1, memoryPages) });
    return { ok: true };
  } catch (err) {
    const e = err as { shortMessage?: string; message: string; fix?: string };
    return { ok: false, problem: `${e.shortMessage ?? e.message}${e.fix ? ` ${e.fix}` : ""} No provider would run it.` };
  }
}

/** What the server's upload route takes (PublicConfig), checked before anything is sent. */
export type UploadLimits = { maxUploadFileBytes: number; maxUploadRequestBytes: number };

/**
 * A file the upload route would refuse, said before the upload: in MiB, with what to do. The
 * CLI posts from the user's own content node, so its only limit is what providers load
 * (64 MiB of module and 64 MiB of stdin and inputs by default).
 */
function tooBig(file: File, limits: UploadLimits): string | undefined {
  if (file.size <= limits.maxUploadFileBytes) return undefined;
  return `"${file.name}" is ${formatBytes(file.size)}; this app uploads files of at most ${formatBytes(limits.maxUploadFileBytes)}. Use a smaller file, or post the job with the CLI (\`accord job submit\`), which serves its files from your own node.`;
}

/** Every field's problem, in words the user can act on; empty when the job can be posted. */
export function validateJobForm(v: JobFormValues, decimals: number, moduleCheck: ModuleCheck | undefined, limits?: UploadLimits): JobFormErrors {
  const e: JobFormErrors = {};
  if (!v.module) e.module = "Choose the .wasm program to run.";
  else if (limits && tooBig(v.module, limits)) e.module = tooBig(v.module, limits);
  else if (moduleCheck === undefined) e.module = "Checking the program…";
  else if (!moduleCheck.ok) e.module = moduleCheck.problem;
  if (limits) {
    const big = v.inputs.map((f) => tooBig(f, limits)).find(Boolean);
    if (big) e.inputs = big;
    if (v.stdin && tooBig(v.stdin, limits)) e.stdin = tooBig(v.stdin, limits);
    const total = [v.module, v.stdin, ...v.inputs].reduce((n, f) => n + (f?.size ?? 0), 0);
    if (!e.module && !e.inputs && !e.stdin && total > limits.maxUploadRequestBytes)
      e.inputs = `The files add up to ${formatBytes(total)}; this app uploads at most ${formatBytes(limits.maxUploadRequestBytes)} for one job. Use fewer or smaller files, or post with the CLI (\`accord job submit\`).`;
  }

  const seen = new Set<string>();
  for (const f of v.inputs) {
    if (e.inputs) break;
    const problem = inputPathProblem(f.name);
    if (problem) e.inputs = `"${f.name}": the path ${problem}.`;
    else if (seen.has(f.name)) e.inputs = `Two input files are named "${f.name}"; rename one.`;
    seen.add(f.name);
  }

  const args = parseArgs(v.args);
  if (args.length > MAX_ARGS_COUNT) e.args = `At most ${MAX_ARGS_COUNT} arguments.`;
  else if (args.some((a) => a.includes("\0"))) e.args = "Arguments cannot contain NUL characters.";

  const env = parseEnv(v.env);
  if (env.problem) e.env = env.problem;
  else if (Object.keys(env.env).length > MAX_ENV_COUNT) e.env = `At most ${MAX_ENV_COUNT} variables.`;

  const k = int(v.replicas);
  if (k === undefined || k < 1 || k > MAX_REPLICAS) e.replicas = `Between 1 and ${MAX_REPLICAS} independent runs.`;
  const m = int(v.quorum);
  if (m === undefined) e.quorum = "A whole number of matching results.";
  else if (e.replicas) e.quorum = "Set the replicas first: the quorum is more than half of them.";
  else if (k !== undefined && !(m > k / 2 && m <= k)) e.quorum = `More than half the replicas and at most all of them: ${Math.floor((k ?? 0) / 2) + 1} to ${k}.`;

  // The contract's bounds (Limits.sol, generated): k .. MAX_REPLICAS; empty is k.
  if (v.maxReplicas.trim()) {
    const cap = int(v.maxReplicas);
    const low = e.replicas || k === undefined ? 1 : k;
    if (cap === undefined || cap < low || cap > MAX_REPLICAS)
      e.maxReplicas = e.replicas ? `Set the replicas first: the cap is between them and ${MAX_REPLICAS}.` : `From ${low} (the replicas: no escalation) to ${MAX_REPLICAS} replicas in all, or empty for no escalation.`;
  }

  if (!v.maxPrice.trim()) e.maxPrice = "Offer a price per replica (use the estimate below).";
  else {
    try {
      const p = parseUnits(v.maxPrice.trim(), decimals);
      if (p <= 0n) e.maxPrice = "The price must be above zero.";
      else if (p > MAX_PRICE_UNITS) e.maxPrice = `The price is above the contract's limit (${MAX_PRICE_UNITS} base units).`;
    } catch {
      e.maxPrice = `A number with at most ${decimals} decimals, like 1.5.`;
    }
    if (!e.maxPrice && !/^\d+(\.\d+)?$/.test(v.maxPrice.trim())) e.maxPrice = `A number with at most ${decimals} decimals, like 1.5.`;
    else if (!e.maxPrice && (v.maxPrice.split(".")[1]?.length ?? 0) > decimals) e.maxPrice = `The token has ${decimals} decimals; use fewer digits after the point.`;
  }

  const fuel = int(v.fuel);
  if (fuel === undefined || fuel < 1 || !Number.isSafeInteger(fuel)) e.fuel = "A positive whole number of fuel units (one per instruction, roughly).";
  const mem = int(v.memoryMiB);
  if (mem === undefined || mem < 1 || (mem * 1024 * 1024) / PAGE_BYTES > MAX_MEMORY_PAGES) e.memoryMiB = "Between 1 and 4096 MiB.";
  const wall = int(v.wallClockS);
  if (wall === undefined || wall < 1 || wall > 86_400) e.wallClockS = "Between 1 and 86400 seconds.";

  const bid = int(v.bidWindowS);
  if (bid === undefined || bid > MAX_BID_WINDOW_SECONDS) e.bidWindowS = `0 (award as soon as enough bids are in) up to ${days(MAX_BID_WINDOW_SECONDS)} in seconds.`;
  for (const key of ["commitWindowS", "revealWindowS"] as const) {
    const w = int(v[key]);
    if (w === undefined || w < MIN_PHASE_WINDOW_SECONDS || w > MAX_PHASE_WINDOW_SECONDS)
      e[key] = `Between ${MIN_PHASE_WINDOW_SECONDS} seconds and ${days(MAX_PHASE_WINDOW_SECONDS)} (${MAX_PHASE_WINDOW_SECONDS}).`;
  }
  const rep = Number(v.minReputationPct);
  if (!/^\d+(\.\d{1,2})?$/.test(v.minReputationPct.trim()) || rep < 0 || rep > MAX_REPUTATION_BPS / 100) e.minReputationPct = `A percentage from 0 to ${MAX_REPUTATION_BPS / 100} (at most 2 decimals).`;
  return e;
}

/** The job's terms as the library's postJob takes them, from a form validateJobForm passed. */
export function offerOf(v: JobFormValues, decimals: number): JobOffer {
  return {
    replicas: Number(v.replicas),
    quorum: Number(v.quorum),
    ...(v.maxReplicas.trim() ? { maxReplicas: Number(v.maxReplicas) } : {}),
    maxPrice: parseUnits(v.maxPrice.trim(), decimals),
    bidWindow: Number(v.bidWindowS),
    commitWindow: Number(v.commitWindowS),
    revealWindow: Number(v.revealWindowS),
    minReputation: Math.round(Number(v.minReputationPct) * 100),
  };
}

export function limitsOf(v: JobFormValues): Manifest["limits"] {
  return {
    fuel: Number(v.fuel),
    memoryPages: Math.floor((Number(v.memoryMiB) * 1024 * 1024) / PAGE_BYTES),
    wallClockMs: Number(v.wallClockS) * 1000,
    ...DEFAULT_OUTPUT_LIMITS,
  };
}

export function manifestOf(v: JobFormValues, cids: { module: string; stdin?: string; inputs: Record<string, string> }, resultPublicKey: `0x${string}`, nonce: string): Manifest {
  return {
    version: MANIFEST_VERSION,
    runtime: MANIFEST_RUNTIME,
    module: cids.module,
    args: parseArgs(v.args),
    env: parseEnv(v.env).env,
    ...(cids.stdin ? { stdin: cids.stdin } : {}),
    inputs: cids.inputs,
    limits: limitsOf(v),
    resultPublicKey,
    nonce,
  } as Manifest;
}

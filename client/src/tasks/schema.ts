import { z } from "zod";
import { limitsSchema } from "../manifest/schema.ts";

/** Most tasks one spec may expand to: the state file and the progress display hold them all. */
export const MAX_TASKS = 100_000;
/** Most attempts (first post + re-posts) a spec may allow a task. */
export const MAX_ATTEMPTS_LIMIT = 10;
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Task names become folder names under the output folder and keys of the state file. */
export const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const file = z.string({ error: "must be a file path (relative to the spec's folder)" }).min(1, { error: "must not be empty" });
const strings = z.array(z.string({ error: "must be a string" }), { error: "must be an array of strings" });
const env = z.record(z.string(), z.string({ error: "must be a string" }), { error: "must be an object mapping names to strings" });
/** Files mounted under /input: the name under /input → the file on this machine. */
const inputs = z.record(z.string(), file, { error: "must be an object mapping names under /input to file paths" });
const limits = limitsSchema.partial();
const seconds = z.number({ error: "must be a number of seconds" }).int({ error: "must be whole seconds" });

/** One task: its own arguments (after the spec's), environment and inputs (beside the shared ones). */
const task = z.strictObject(
  {
    name: z.string({ error: "must be a string" }),
    args: strings.optional(),
    env: env.optional(),
    inputs: inputs.optional(),
    stdin: file.optional(),
    limits: limits.optional(),
  },
  { error: "must be an object with a name and optional args, env, inputs, stdin, limits" },
);

const generator = z.union(
  [
    z.strictObject({
      range: z.strictObject({
        from: z.number({ error: "must be an integer" }).int({ error: "must be an integer" }),
        to: z.number({ error: "must be an integer" }).int({ error: "must be an integer" }),
        step: z.number().int().positive({ error: "must be a positive integer" }).optional(),
      }),
    }),
    z.strictObject({ glob: z.string().min(1, { error: "must be a glob pattern such as shards/*.csv" }) }),
    z.strictObject({ lines: file }),
  ],
  { error: 'must be one of {"range": {"from", "to", "step"}}, {"glob": "pattern"} or {"lines": "file"}' },
);

/** A generated task: `task`'s strings with `{value}`, `{index}` and `{stem}` filled in per value. */
const template = task.extend({ name: z.string({ error: "must be a string" }).optional() });

export const taskSpecSchema = z
  .strictObject(
    {
      /** The WebAssembly module every task runs. */
      module: file,
      /** argv before each task's own args (default: the module's file name). */
      args: strings.optional(),
      env: env.optional(),
      inputs: inputs.optional(),
      stdin: file.optional(),
      limits: limits.optional(),
      /** Replicas and quorum set outright, or derived from a confidence target (replicasForConfidence): one way or the other (spec.ts checks); the escalation cap with either. */
      trust: z
        .strictObject({
          replicas: z.number({ error: "must be a whole number of replicas" }).int({ error: "must be a whole number" }).optional(),
          quorum: z.number({ error: "must be a whole number" }).int({ error: "must be a whole number" }).optional(),
          /** The chance an accepted result is right, e.g. 0.9999. */
          confidence: z.number({ error: "must be a number between 0 and 1, such as 0.9999" }).optional(),
          /** The colluders' share of the providers' stake to guard against (default 0.1). */
          adversaryShare: z.number({ error: "must be a number between 0 and 1, such as 0.1" }).optional(),
          /**
           * The most replicas in all when the reveals leave no quorum: the job escalates to fresh
           * providers up to this many (k..16) instead of ending NoConsensus. Default: k when the
           * replicas are set outright, the plan's cap (min(16, 2k)) for a confidence target.
           */
          maxReplicas: z.number({ error: "must be a whole number of replicas" }).int({ error: "must be a whole number" }).optional(),
        })
        .optional(),
      price: z
        .strictObject({
          /** Most paid per replica, in tokens ("0.5"), or "auto": twice the clearing price of the on-chain asks. */
          maxPrice: z.string({ error: 'must be a decimal string of tokens such as "0.5", or "auto"' }).regex(/^(auto|\d+(\.\d+)?|\.\d+)$/, { error: 'must be a decimal number of tokens such as "0.5", or "auto"' }),
        })
        .optional(),
      windows: z.strictObject({ bid: seconds.optional(), commit: seconds.optional(), reveal: seconds.optional() }).optional(),
      minReputation: z.number().int().optional(),
      /** Posts per task at most, the first included: a task that expires or fails is posted again until then. */
      maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT, { error: `must be between 1 and ${MAX_ATTEMPTS_LIMIT}` }).optional(),
      tasks: z.array(task, { error: "must be an array of tasks" }).optional(),
      generate: generator.optional(),
      task: template.optional(),
    },
    { error: "must be a JSON object" },
  )
  .superRefine((s, ctx) => {
    if (!s.tasks && !s.generate) ctx.addIssue({ code: "custom", path: ["tasks"], message: 'is missing: give a "tasks" list or a "generate" rule' });
    if (s.tasks && s.generate) ctx.addIssue({ code: "custom", path: ["generate"], message: 'cannot stand beside "tasks": give one or the other' });
    if (s.task && !s.generate) ctx.addIssue({ code: "custom", path: ["task"], message: 'is the template of generated tasks and needs "generate"' });
  });

export type TaskSpecFile = z.infer<typeof taskSpecSchema>;

import type { Register } from "./context.ts";

// Flags and help only; the command's code is in run/main.ts, loaded when it runs.
export const registerRun: Register = (program, run) => {
  program
    .command("run")
    .description("run a bag of tasks from a spec file: estimate, confirm, post in batches, follow, verify and write every result (resumable); with ACCORD_WEB_URL set to the web app's address, prints the run's page there")
    .argument("<spec>", "the task spec (JSON): module, shared inputs, limits, trust, price, and tasks or a generator")
    .option("-o, --out <dir>", "results go to <dir>/<task name>/", "./out")
    .option("--state <file>", "the run's state file, for resuming (default: <out>.accord-run.json beside the output folder)")
    .option("-y, --yes", "do not ask before paying (for scripts)")
    .option("-p, --max-price <tokens>", "most paid per replica, in tokens (overrides the spec's price)")
    .option("--max-active <n>", "tasks posted and not yet settled at once (their escrow is locked meanwhile)", "256")
    .option("--payment <how>", "escrow by auto | permit | approve", "auto")
    .action(run(() => import("./run/main.ts")));
};

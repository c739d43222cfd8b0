import { BaseError } from "../errors.ts";

/** One thing wrong in a task spec: where (`tasks[3].inputs["a.csv"]`), what, and what to do. */
export type TaskSpecProblem = { path: string; problem: string; fix: string };

/** A task spec refused whole, before anything is uploaded or paid, with every problem found. */
export class InvalidTaskSpecError extends BaseError {
  override name = "InvalidTaskSpecError";
  readonly problems: TaskSpecProblem[];
  constructor(file: string, problems: TaskSpecProblem[]) {
    super(`The task spec ${file} has ${problems.length} problem(s); nothing was posted or paid.`, {
      metaMessages: problems.map((p) => `${p.path}: ${p.problem}. ${p.fix}`),
      fix: "Correct each entry named above and run again.",
    });
    this.problems = problems;
  }
}

/** The state file belongs to another spec, or was changed by hand into something unreadable. */
export class TaskStateError extends BaseError {
  override name = "TaskStateError";
  constructor(file: string, problem: string, fix: string, cause?: unknown) {
    super(`The task state file ${file} ${problem}.`, { fix, cause });
  }
}

/** A run ended with tasks given up on; each one's attempts and reasons are in the report and the state file. */
export class TasksFailedError extends BaseError {
  override name = "TasksFailedError";
  readonly failed: string[];
  constructor(failed: string[], total: number, stateFile: string) {
    super(`${failed.length} of ${total} task(s) gave no verified result: ${failed.slice(0, 10).join(", ")}${failed.length > 10 ? ", ..." : ""}.`, {
      fix: `Read why above (or in ${stateFile}); change what the providers refused (price, windows, limits) and run again with the same state file: the tasks that are done stay done.`,
    });
    this.failed = failed;
  }
}

// Bags of tasks (issue #18): a spec of many tasks, run as batched jobs with one follower, resumable.
export { InvalidTaskSpecError, TasksFailedError, TaskStateError, type TaskSpecProblem } from "./errors.ts";
export { MAX_ATTEMPTS_LIMIT, MAX_TASKS, DEFAULT_MAX_ATTEMPTS, TASK_NAME, taskSpecSchema, type TaskSpecFile } from "./schema.ts";
export { loadTaskSpec, parseTaskSpec, MAX_TASK_INPUT_BYTES, type Task, type TaskBag, type TaskFile } from "./spec.ts";
export { estimateTasks, resolveMaxPrice, type TasksEstimate } from "./price.ts";
export { mayFillLater, describeNoBids } from "./diagnose.ts";
export { attemptNonce, type AttemptRecord, type RunState, type TaskRecord } from "./state.ts";
export {
  runTasks,
  CLAIM_RETRY_MS,
  DEFAULT_FETCH_CONCURRENCY,
  DEFAULT_MAX_ACTIVE_TASKS,
  DEFAULT_PARALLEL_POSTS,
  type RunTasksEvent,
  type RunTasksItem,
  type RunTasksOptions,
  type RunTasksProgress,
  type TaskFailure,
  type TaskResult,
} from "./run.ts";

// Bags of tasks (issue #18): a spec of many tasks, run as batched jobs with one follower, resumable.
export { InvalidTaskSpecError, TasksFailedError, TaskStateError, type TaskSpecProblem } from "./errors.ts";
export { MAX_ATTEMPTS_LIMIT, MAX_TASKS, DEFAULT_MAX_ATTEMPTS, TASK_NAME, taskSpecSchema, type TaskSpecFile } from "./schema.ts";
export { loadTaskSpec, parseTaskSpec, MAX_TASK_INPUT_BYTES, type Task, type TaskBag, type TaskFile } from "./spec.ts";
export { estimateTasks, resolveMaxPrice, type TasksEstimate } from "./price.ts";
export { mayFillLater, describeNoBids } from "./diagnose.ts";
export { attemptNonce, type AttemptRecord, type RunState, type TaskRecord } from "./state.ts";
export { runTasks, DEFAULT_FETCH_CONCURRENCY, type RunTasksOptions } from "./run.ts";
export { DEFAULT_MAX_ACTIVE_TASKS, DEFAULT_PARALLEL_POSTS } from "./poster.ts";
export { CLAIM_RETRY_MS } from "./stuck.ts";
export { afterFailure, resumeAction, settledFailure, type AfterFailure, type AttemptFailure, type ResumeAction } from "./repost.ts";
export type { RunTasksEvent, RunTasksItem, TaskFailure, TaskResult } from "./events.ts";
export type { RunTasksProgress } from "./progress.ts";

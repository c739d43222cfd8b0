import type { NoBidsDiagnosis } from "../actions/errors.ts";
import type { FetchedResult } from "../actions/internal/fetchResult.ts";
import type { AttemptRecord } from "./state.ts";

export type TaskResult = Omit<FetchedResult, never> & {
  ok: true;
  task: string;
  attempt: number;
  jobId: bigint;
  manifestCid: string;
  /** Token units paid to providers (plus the protocol fee) and refunded, for this attempt. */
  paid: bigint;
  refunded: bigint;
};
export type TaskFailure = { ok: false; task: string; reason: string; attempts: AttemptRecord[] };
/** What runTasks yields: a verified result, or a task given up on, with each attempt and why. */
export type RunTasksItem = TaskResult | TaskFailure;

/** What a run tells as it goes (the CLI prints them above its progress line). */
export type RunTasksEvent =
  | { type: "price"; maxPrice: bigint; source: "spec" | "estimate" | "state" | "option" }
  | { type: "resumed"; done: number; failed: number; following: number; queued: number; reconciled: number }
  | { type: "posted"; tasks: string[]; transactionHash?: `0x${string}`; blockNumber?: bigint }
  | { type: "retry"; task: string; attempt: number; reason: string }
  | { type: "failed"; task: string; reason: string }
  | { type: "noBids"; task: string; jobId: bigint; diagnosis: NoBidsDiagnosis }
  | { type: "warning"; message: string };

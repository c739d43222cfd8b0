/** The shapes of a sandbox job and its result. See docs/PROTOCOL.md "## Sandbox". */

export type SandboxLimits = {
  /** Fuel budget: one unit per instruction of each metered block entered, plus host-call costs. */
  fuel: number;
  /** Cap on linear memory in 64 KiB pages; memory.grow past it returns -1. */
  memoryPages: number;
  stdoutBytes: number;
  stderrBytes: number;
  /** Cap on the number of files under /output. */
  outputFiles: number;
  /** Cap on the total size of the files under /output. */
  outputBytes: number;
  /** Wall-clock backstop: ending a run this way is an error, never a result. */
  wallClockMs: number;
};

export type SandboxJob = {
  module: Uint8Array;
  /** argv; by convention args[0] is the program name. */
  args: string[];
  env: Record<string, string>;
  stdin?: Uint8Array;
  /** Read-only files under /input, keyed by path relative to /input ("data.csv", "dir/x.bin"). */
  inputs?: Record<string, Uint8Array>;
  limits: SandboxLimits;
  /** 32 bytes: the key of the ChaCha20 stream that random_get returns. */
  seed: Uint8Array;
};

export const TRAP_KINDS = [
  "unreachable",
  "out_of_fuel",
  "stack_overflow",
  "memory_out_of_bounds",
  "integer_divide_by_zero",
  "integer_overflow",
  "invalid_conversion",
  "indirect_call_type_mismatch",
  "table_out_of_bounds",
  "null_reference",
] as const;
export type TrapKind = (typeof TRAP_KINDS)[number];

export const LIMIT_KINDS = ["stdout", "stderr", "output_files", "output_bytes"] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

export type ResultStatus =
  | { kind: "exit"; code: number }
  | { kind: "trap"; trap: TrapKind }
  | { kind: "limit"; limit: LimitKind };

export type ResultBundle = {
  status: ResultStatus;
  fuelUsed: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Files under /output, keyed by path relative to /output. */
  files: Record<string, Uint8Array>;
};

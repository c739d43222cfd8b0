import type { ResultBundle, ResultStatus } from "../../sandbox/types.ts";

/** What a run of a job gave, as dryRun and waitForResult hand it back. */
export type JobResult = {
  status: ResultStatus;
  /** The process exit code, or undefined when the run ended in a trap or hit an output limit. */
  exitCode: number | undefined;
  fuelUsed: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** Files the program wrote under /output, by path relative to it. */
  files: Record<string, Uint8Array>;
};

/** The result of a run from its bundle: a local dry run's, or a provider's once opened and verified. */
export function jobResultOf(bundle: ResultBundle): JobResult {
  return {
    status: bundle.status,
    exitCode: bundle.status.kind === "exit" ? bundle.status.code : undefined,
    fuelUsed: bundle.fuelUsed,
    stdout: bundle.stdout,
    stderr: bundle.stderr,
    files: bundle.files,
  };
}

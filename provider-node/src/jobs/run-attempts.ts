/**
 * Failed runs per job, to give up after maxRunAttempts. In memory only, owned by the driver: a
 * restart gives a job its attempts back, which is what an operator restarting wants.
 */
export class RunAttempts {
  private readonly failures = new Map<bigint, number>();

  /** Counts one more failed run of the job; returns how many failed so far. */
  failed(jobId: bigint): number {
    const n = (this.failures.get(jobId) ?? 0) + 1;
    this.failures.set(jobId, n);
    return n;
  }

  /** The job ran, or was given up on: its count starts over. */
  reset(jobId: bigint): void {
    this.failures.delete(jobId);
  }
}

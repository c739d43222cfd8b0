import type { AccordClient } from "../client.ts";
import type { NoBidsDiagnosis } from "../actions/errors.ts";
import { explainNoBids } from "../actions/explainNoBids.ts";
import { activeBids, type JobHistory } from "../chain/jobHistory.ts";
import type { LiveTask } from "./board.ts";
import { claimLoop } from "./claimer.ts";

/** A stuck job is claimed at most this often (its claim may lose a race with a provider's). */
export const CLAIM_RETRY_MS = 10_000;
/** No-bid diagnoses (each reads the registry and asks the providers) run at once. */
const DIAGNOSE_CONCURRENCY = 2;
/** A job waiting for a diagnosis slot is looked at again after this. */
const DIAGNOSE_WAIT_MS = 1_000;
/** Times the providers are asked about one job when some of them did not answer. */
const DIAGNOSE_ROUNDS = 2;

/**
 * The run's jobs past a phase deadline: each is claimed so its escrow comes back and the task can
 * be posted again, and one about to expire for want of bids is first asked about (why the
 * providers did not bid), while it is still open and the providers still know it.
 */
export class StuckJobs {
  private readonly claims = new Set<bigint>();
  private diagnosing = 0;
  private readonly client: AccordClient;
  private readonly signal: AbortSignal;

  constructor(client: AccordClient, signal: AbortSignal) {
    this.client = client;
    this.signal = signal;
  }

  /** Sends the claims until the run stops, many in a transaction (claimLoop). */
  loop(onWarning: (message: string) => void): Promise<void> {
    return claimLoop(this.client, this.claims, this.signal, onWarning);
  }

  /** The follower saw the job's deadline pass (it says so at every check until the job moves on). */
  onDeadline(t: LiveTask, jobId: bigint, job: JobHistory, fuel: number): void {
    if (t.claimAt !== undefined && Date.now() < t.claimAt) return;
    t.claimAt = Date.now() + CLAIM_RETRY_MS;
    if (job.state === "Open" && activeBids(job).length < job.quorum && !t.diagnosis) {
      if (this.diagnosing >= DIAGNOSE_CONCURRENCY) {
        t.claimAt = Date.now() + DIAGNOSE_WAIT_MS;
        return;
      }
      this.diagnosing++;
      void this.diagnose(jobId, fuel)
        .then((d) => (t.diagnosis = d))
        .finally(() => {
          this.diagnosing--;
          this.claims.add(jobId);
        });
      return;
    }
    this.claims.add(jobId);
  }

  /** Why an expired job got no bids, asked after the fact (when no diagnosis was made before its deadline). */
  explain(jobId: bigint): Promise<NoBidsDiagnosis> {
    return explainNoBids(this.client, { jobId, signal: this.signal });
  }

  /**
   * Why an open job got too few bids. A provider that did not answer in time (a loaded machine)
   * is asked once more: its silence would mean "post again", its answer may say that is useless.
   */
  private async diagnose(jobId: bigint, fuel: number): Promise<NoBidsDiagnosis | undefined> {
    let d: NoBidsDiagnosis | undefined;
    for (let round = 0; round < DIAGNOSE_ROUNDS; round++) {
      try {
        d = await explainNoBids(this.client, { jobId, fuel, signal: this.signal });
      } catch {
        continue;
      }
      if (!d.reasons.some((r) => r.code === "unreachable" || r.code === "eligible-but-silent")) break;
    }
    return d;
  }
}

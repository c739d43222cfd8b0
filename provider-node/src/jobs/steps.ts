/** The job state machine's dispatch: the journal's phase names the handler of the next step (bid.ts, run.ts, commit.ts, reveal.ts). */
import type { JobRecord } from "../journal/journal.ts";
import { awaitAward, placeBid } from "./bid.ts";
import { sendCommit } from "./commit.ts";
import type { StepContext } from "./context.ts";
import { evaluate } from "./evaluate.ts";
import { awaitSettlement, sendReveal } from "./reveal.ts";
import { runReplica } from "./run.ts";

/** One step of a job. Returns true when it moved the job on and another step should follow at once. */
export async function runStep(ctx: StepContext, rec: JobRecord): Promise<boolean> {
  switch (rec.phase) {
    case "evaluating":
      return evaluate(ctx, rec);
    case "bidding":
      return placeBid(ctx, rec);
    case "bid":
      return awaitAward(ctx, rec);
    case "awarded":
      return runReplica(ctx, rec);
    case "committing":
      return sendCommit(ctx, rec);
    case "committed":
      return sendReveal(ctx, rec);
    case "revealed":
      return awaitSettlement(ctx, rec);
    default:
      return false;
  }
}

"use client";
import { Address } from "@/components/Address.tsx";
import { Amount } from "@/components/Amount.tsx";
import { Card } from "@/components/Card.tsx";
import { CopyText } from "@/components/CopyText.tsx";
import { CELL_LABEL, RunGrid } from "@/components/RunGrid.tsx";
import { Stat } from "@/components/Stat.tsx";
import { ErrorNotice, Loading } from "@/components/Status.tsx";
import { useApi } from "@/lib/client/api.ts";
import { timeAgo } from "@/lib/client/format.ts";
import { useRunResults } from "@/lib/client/run-results.ts";
import { useMounted } from "@/lib/client/use-mounted.ts";
import { useNow } from "@/lib/client/use-now.ts";
import type { CellState, RunDetail } from "@/lib/types.ts";

const ORDER: CellState[] = ["verified", "running", "waiting", "failed"];

/**
 * A bag of tasks (`accord run`, `runTasks`): every task the chain has seen posted with this run
 * id, as a grid that fills as the jobs settle (refetched on every indexed block), with the
 * counts and what the run has spent. The requester's wallet can open the verified results here.
 */
export function RunView({ runId, initial }: { runId: string; initial?: RunDetail }) {
  const q = useApi<RunDetail>(`/api/runs/${encodeURIComponent(runId)}`, initial);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>
          Run <CopyText value={runId} shown={runId} label="run id" testId="run-id" />
        </h1>
        {q.data && (
          <span className="small muted">
            posted by <Address value={q.data.requester} />
          </span>
        )}
      </div>
      {q.isPending ? <Loading label="Reading the run's jobs…" /> : q.error ? <ErrorNotice error={q.error} title="This run could not be loaded" /> : <Run run={q.data} />}
    </div>
  );
}

function Run({ run }: { run: RunDetail }) {
  const r = useRunResults(run);
  const mounted = useMounted();
  // The wallet reconnects from the browser's storage: the server's HTML knows no wallet, so the
  // first render must not either.
  const isRequester = mounted && r.isRequester;
  const now = useNow(run.chainTime);
  const total = run.cells.length;
  return (
    <>
      <section className="stats" aria-label="Run statistics" data-testid="run-stats">
        <Stat label="Tasks seen" value={total} hint={`${run.jobs} job${run.jobs === 1 ? "" : "s"}, first posted ${timeAgo(run.firstPostedAt, now)}`} testId="run-tasks" />
        <Stat label="Done (verified)" value={`${run.counts.verified} of ${total}`} testId="run-done" />
        <Stat label="Running" value={run.counts.running} testId="run-running" />
        <Stat label="Waiting for bids" value={run.counts.waiting} testId="run-waiting" />
        <Stat label="Failed" value={run.counts.failed} hint="latest attempt; the run may post it again" testId="run-failed" />
        <Stat label="Spent so far" value={<Amount value={run.spent} />} hint={<>in escrow <Amount value={run.escrowed} /></>} testId="run-spent" />
      </section>
      {run.foreignJobs > 0 && (
        <div className="notice warn small" role="status">
          {run.foreignJobs} job{run.foreignJobs === 1 ? "" : "s"} by other accounts carry this run id and are left out: a run is its first poster&apos;s, and anyone can write any nonce.
        </div>
      )}
      <Card
        title="Tasks"
        id="run-tasks-card"
        action={
          <button type="button" className="button" onClick={() => void r.show()} disabled={!isRequester || r.shown || r.asking} data-testid="show-results">
            {r.asking ? "Waiting for the wallet…" : r.shown ? "Results shown" : "Show results"}
          </button>
        }
      >
        <p className="small muted">
          {ORDER.map((s) => (
            <span key={s} className={`run-legend ${s}`}>
              {CELL_LABEL[s]}
            </span>
          ))}
        </p>
        {mounted && !isRequester && <p className="small muted">Only the requester&apos;s wallet holds the key to these results: connect it to show them here.</p>}
        {isRequester && !r.shown && (
          <p className="small muted">Your wallet signs once; the key it gives stays in this page&apos;s memory, and each verified task&apos;s result is decrypted and checked against the chain here.</p>
        )}
        {r.keyError !== undefined && <ErrorNotice error={r.keyError} title="The wallet did not sign" />}
        <RunGrid cells={run.cells} results={r.results} />
        <p className="small muted">Tasks appear as they are posted: a run keeps a limited number of tasks unsettled at once, so the rest join later.</p>
      </Card>
    </>
  );
}

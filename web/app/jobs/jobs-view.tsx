"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import type { FormEvent } from "react";
import { Card } from "@/components/Card.tsx";
import { JobsTable } from "@/components/JobsTable.tsx";
import { ErrorNotice, Loading } from "@/components/Status.tsx";
import { useApi } from "@/lib/client/api.ts";
import { JOBS_PER_PAGE, jobQueryString, STATE_FILTERS, type JobQuery } from "@/lib/job-query.ts";
import type { JobsPage } from "@/lib/types.ts";

const STATE_LABEL: Record<string, string> = { Running: "Running (committing or revealing)", NoConsensus: "No consensus" };

export function JobsListView({ query, problems, initial }: { query: JobQuery; problems: string[]; initial?: JobsPage }) {
  const q = useApi<JobsPage>(problems.length ? undefined : `/api/jobs${jobQueryString(query)}`, initial);
  const filtered = !!(query.state || query.requester || query.provider);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Jobs</h1>
        <Link href="/post" className="button">
          Post a job
        </Link>
      </div>
      {/* Keyed by the URL: client navigation (Clear, a pager link) keeps the component, not its fields. */}
      <Filters key={jobQueryString(query)} query={query} />
      {problems.length > 0 ? (
        <div className="notice error" role="alert" data-testid="filter-problems">
          <p>
            <strong>These filters cannot be read:</strong>
          </p>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
          <p>
            What to do: correct them above, or <Link href="/jobs">show every job</Link>.
          </p>
        </div>
      ) : q.isPending ? (
        <Loading label="Reading the jobs…" />
      ) : q.error ? (
        <ErrorNotice error={q.error} title="The jobs could not be loaded" />
      ) : (
        <Card title={filtered ? "Matching jobs" : "Every job"} id="jobs" action={<span className="small muted" data-testid="jobs-count">{countLine(q.data)}</span>}>
          <JobsTable jobs={q.data.jobs} now={q.data.chainTime} caption={filtered ? "Jobs matching the filters, newest first" : "Every job, newest first"} empty={q.data.total ? `Page ${query.page} is past the last page (${q.data.pages}).` : filtered ? "No job matches these filters." : "No job has been posted yet."} />
          <Pager query={query} data={q.data} />
        </Card>
      )}
    </div>
  );
}

function countLine(d: JobsPage): string {
  if (!d.total) return "0 jobs";
  const first = (d.page - 1) * d.per + 1;
  return first > d.total ? `${d.total} jobs` : `${first}–${Math.min(d.total, d.page * d.per)} of ${d.total} jobs`;
}

/**
 * A GET form: applying filters is a new URL, which the server renders with its rows. Once the
 * page's code runs, the URL leaves out the empty fields and the filters start again at page 1.
 */
function Filters({ query }: { query: JobQuery }) {
  const router = useRouter();
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const params = new URLSearchParams();
    for (const [k, v] of form) if (typeof v === "string" && v.trim()) params.set(k, v.trim());
    const next = params.toString();
    router.push(`/jobs${next ? `?${next}` : ""}`);
  };
  return (
    <form className="card filters" action="/jobs" method="get" aria-label="Filter jobs" data-testid="job-filters" onSubmit={submit}>
      <div className="field">
        <label htmlFor="f-state">State</label>
        <select id="f-state" name="state" className="select" defaultValue={query.state ?? ""}>
          <option value="">Any state</option>
          {STATE_FILTERS.map((s) => (
            <option key={s} value={s}>
              {STATE_LABEL[s] ?? s}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-requester">Requester</label>
        <input id="f-requester" name="requester" className="input mono" defaultValue={query.requester ?? ""} placeholder="0x…" autoComplete="off" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor="f-provider">Provider (bid or served)</label>
        <input id="f-provider" name="provider" className="input mono" defaultValue={query.provider ?? ""} placeholder="0x…" autoComplete="off" spellCheck={false} />
      </div>
      {query.per !== JOBS_PER_PAGE && <input type="hidden" name="per" value={query.per} />}
      <div className="row">
        <button type="submit" className="button">
          Filter
        </button>
        <Link href="/jobs">Clear</Link>
      </div>
    </form>
  );
}

function Pager({ query, data }: { query: JobQuery; data: JobsPage }) {
  if (data.pages <= 1 && query.page === 1) return null;
  const prev = query.page > 1 ? Math.min(query.page - 1, data.pages) : undefined;
  const next = query.page < data.pages ? query.page + 1 : undefined;
  return (
    <nav className="pager" aria-label="Pages">
      {prev ? (
        <Link href={`/jobs${jobQueryString(query, { page: prev })}`} rel="prev" data-testid="page-prev">
          ← Newer
        </Link>
      ) : (
        <span className="muted">← Newer</span>
      )}
      <span className="small" data-testid="page-of">
        Page {query.page} of {data.pages}
      </span>
      {next ? (
        <Link href={`/jobs${jobQueryString(query, { page: next })}`} rel="next" data-testid="page-next">
          Older →
        </Link>
      ) : (
        <span className="muted">Older →</span>
      )}
    </nav>
  );
}

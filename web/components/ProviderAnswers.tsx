"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { fetchJson } from "@/lib/client/api.ts";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { adviceFor, statusLine } from "@/lib/client/decline-advice.ts";
import type { JobDeclines, JobDetail } from "@/lib/types.ts";
import { Address } from "./Address.tsx";
import { ErrorNotice } from "./Status.tsx";

/**
 * Asked again this often while the job is open: a quiet chain brings no block to refresh on,
 * and a provider's answer changes with its load.
 */
const ASK_AGAIN_MS = 5_000;

/** Each provider that has not bid, in its own words, with what the requester can do next. */
export function ProviderAnswers({ job }: { job: JobDetail }) {
  const app = useAppConfig();
  const q = useQuery({
    queryKey: ["api", `/api/jobs/${job.id}/declines`],
    queryFn: () => fetchJson<JobDeclines>(`/api/jobs/${job.id}/declines`),
    refetchInterval: ASK_AGAIN_MS,
    retry: false,
  });
  const token = { decimals: app.tokenDecimals, symbol: app.tokenSymbol };
  if (q.error) return <ErrorNotice error={q.error} title="The providers could not be asked" />;
  if (!q.data) return <p className="small muted">Asking the providers that have not bid why…</p>;
  if (!q.data.open) return <p className="small muted">Bidding has closed.</p>;
  const answers = q.data.answers.filter((a) => a.status !== "bid");
  if (!answers.length) return <p className="small muted">Every registered provider has bid or is about to.</p>;
  const repost = answers.some((a) => a.reasons?.some((r) => adviceFor(r, job, token).repost));
  return (
    <div className="stack" aria-live="polite" data-testid="provider-answers">
      <ul className="answers">
        {answers.map((a) => (
          <li key={a.provider} data-provider={a.provider} data-status={a.status}>
            <Address value={a.provider} provider /> {a.reasons?.length ? "declined:" : statusLine(a)}
            {a.reasons?.map((r, i) => {
              const advice = adviceFor(r, job, token);
              return (
                <div key={i} className="answer" data-code={r.code}>
                  <span className={`badge ${advice.transient ? "warn" : "bad"}`}>{r.code}</span> {advice.why}
                  <div className="small">Next step: {advice.next}</div>
                </div>
              );
            })}
          </li>
        ))}
      </ul>
      {repost && (
        <p className="small">
          A posted job's terms cannot change. <Link href="/post">Post it again</Link> with the terms above, after cancelling this one to get its escrow back.
        </p>
      )}
    </div>
  );
}

"use client";
import Link from "next/link";
import { timeAgo } from "@/lib/client/format.ts";
import { useNow } from "@/lib/client/use-now.ts";
import type { RunSummary } from "@/lib/types.ts";

/** A requester's bags of tasks (`accord run`), each linking to its grid. */
export function RunsTable({ runs, now: chainTime, caption }: { runs: RunSummary[]; now: number; caption: string }) {
  const now = useNow(chainTime);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="runs-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col" className="num">Tasks</th>
            <th scope="col" className="num">Verified</th>
            <th scope="col" className="num">Running</th>
            <th scope="col" className="num">Waiting</th>
            <th scope="col" className="num">Failed</th>
            <th scope="col">Last post</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.runId} data-testid="run-row" data-run={r.runId}>
              <td>
                <Link href={`/runs/${r.runId}`} className="mono">
                  {r.runId}
                </Link>
              </td>
              <td className="num">{r.tasks}</td>
              <td className="num">{r.counts.verified}</td>
              <td className="num">{r.counts.running}</td>
              <td className="num">{r.counts.waiting}</td>
              <td className="num">{r.counts.failed}</td>
              <td className="muted">{timeAgo(r.lastPostedAt, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

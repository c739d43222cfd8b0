"use client";
import Link from "next/link";
import { formatTime, shortId } from "@/lib/client/format.ts";
import type { ProviderJobRow } from "@/lib/types.ts";
import { Amount } from "./Amount.tsx";
import { JobOutcome, OutcomeBadge } from "./StateBadge.tsx";
import { Empty } from "./Status.tsx";

export function ProviderHistory({ rows }: { rows: ProviderJobRow[] }) {
  if (!rows.length) return <Empty>No bids yet.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Jobs this provider bid on</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Bid at</th>
            <th scope="col" className="num">Bid</th>
            <th scope="col">Job state</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="num">Paid</th>
            <th scope="col" className="num">Slashed</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.jobId}>
              <td>
                <Link href={`/jobs/${r.jobId}`} className="mono" aria-label={`Job ${r.jobId}`}>
                  {shortId(r.jobId)}
                </Link>
              </td>
              <td className="muted">{formatTime(r.time)}</td>
              <td className="num">
                <Amount value={r.price} />
              </td>
              <td>
                <JobOutcome jobId={r.jobId} state={r.state} />
              </td>
              <td>{r.outcome ? <OutcomeBadge outcome={r.outcome} /> : <span className="muted">—</span>}</td>
              <td className="num">
                <Amount value={r.paid} />
              </td>
              <td className="num">
                <Amount value={r.slashed} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

"use client";
import Link from "next/link";
import { shortId, timeAgo } from "@/lib/client/format.ts";
import { useNow } from "@/lib/client/use-now.ts";
import type { JobSummary } from "@/lib/types.ts";
import { Address } from "./Address.tsx";
import { Amount } from "./Amount.tsx";
import { JobOutcome } from "./StateBadge.tsx";
import { Empty } from "./Status.tsx";

export function JobsTable({ jobs, now, empty, caption }: { jobs: JobSummary[]; now: number; empty: string; caption: string }) {
  const wallNow = useNow(now);
  if (!jobs.length) return <Empty>{empty}</Empty>;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">State</th>
            <th scope="col">Requester</th>
            <th scope="col" className="num">Runs (quorum)</th>
            <th scope="col" className="num">Bids</th>
            <th scope="col" className="num">Max price / replica</th>
            <th scope="col" className="num">Paid</th>
            <th scope="col">Posted</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id}>
              <td>
                <Link href={`/jobs/${j.id}`} className="mono" aria-label={`Job ${j.id}`}>
                  {shortId(j.id)}
                </Link>
              </td>
              <td>
                <JobOutcome jobId={j.id} state={j.state} />
              </td>
              <td>
                <Address value={j.requester} />
              </td>
              <td className="num">
                {j.replicas} ({j.quorum} must match)
              </td>
              <td className="num">{j.bids}</td>
              <td className="num">
                <Amount value={j.maxPrice} />
              </td>
              <td className="num">
                <Amount value={j.paid} />
              </td>
              <td className="muted">{timeAgo(j.postedAt, wallNow)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

"use client";
import { formatDuration, formatTime } from "@/lib/client/format.ts";
import { useNow } from "@/lib/client/use-now.ts";
import type { JobDetail, TimelineEntry } from "@/lib/types.ts";
import { Address } from "./Address.tsx";
import { Amount } from "./Amount.tsx";
import { OutcomeBadge } from "./StateBadge.tsx";
import { TxRef } from "./TxRef.tsx";

type Phase = { key: string; title: string; status: "done" | "current" | "failed" | "pending"; sub: React.ReactNode; events: TimelineEntry[] };

const TERMINAL_FAILURE = new Set(["NoConsensus", "Failed", "Cancelled", "Expired"]);

function deadline(at: number | undefined, now: number) {
  if (!at) return null;
  return at > now ? `deadline in ${formatDuration(at - now)}` : `deadline passed ${formatDuration(now - at)} ago`;
}

/** The job's life as phases — posted, bids, award, commits, reveals, settlement — each with its events. */
export function JobPhases({ job }: { job: JobDetail }) {
  const by = (...kinds: TimelineEntry["kind"][]) => job.timeline.filter((t) => kinds.includes(t.kind));
  const awarded = by("awarded")[0];
  const settled = job.settlement;
  const now = useNow(job.chainTime);
  const failedEarly = settled && !awarded; // cancelled or expired before the award
  const phases: Phase[] = [
    { key: "posted", title: "Posted", status: "done", sub: <>Escrow <Amount value={job.escrow} /> locked · {formatTime(job.postedAt)}</>, events: by("posted") },
    {
      key: "bids",
      title: `Bids (${job.bids} of ${job.replicas})`,
      status: awarded ? "done" : failedEarly ? "failed" : "current",
      sub: awarded ? `${job.bidBook.length} bids placed` : failedEarly ? "bidding closed" : job.awardOnFill ? `awarded when ${job.replicas} bids are in · ${deadline(job.bidDeadline, now)}` : deadline(job.bidDeadline, now),
      events: by("bid", "displaced", "drawn"),
    },
    {
      key: "award",
      title: "Award",
      status: awarded ? "done" : failedEarly ? "failed" : "pending",
      sub: awarded ? `${awarded.amount} winners · ${formatTime(awarded.time)}` : failedEarly ? `job ${settled.state.toLowerCase()} before the award` : "waiting for bids",
      events: by("awarded"),
    },
    {
      key: "commits",
      title: `Commits (${job.commits} of ${awarded?.amount ?? job.replicas})`,
      status: job.revealDeadline ? "done" : settled ? (awarded ? "failed" : "pending") : awarded ? "current" : "pending",
      sub: awarded ? (job.revealDeadline ? "all results committed (hidden until reveal)" : settled ? "too few commits" : `providers are running the job · ${deadline(job.commitDeadline, now)}`) : "after the award",
      events: by("committed"),
    },
    {
      key: "reveals",
      title: `Reveals (${job.reveals} of ${job.commits})`,
      status: settled && job.revealDeadline ? "done" : job.revealDeadline ? "current" : "pending",
      sub: job.revealDeadline ? (settled ? "results revealed" : deadline(job.revealDeadline, now)) : "after all commits or the commit deadline",
      events: by("revealOpened", "revealed"),
    },
    {
      key: "settlement",
      title: settled ? `Settled: ${settled.state === "Succeeded" ? "quorum agreed" : settled.state === "NoConsensus" ? "no consensus" : settled.state.toLowerCase()}` : "Settlement",
      status: settled ? (TERMINAL_FAILURE.has(settled.state) ? "failed" : "done") : "pending",
      sub: settled ? <>paid <Amount value={settled.paid} /> · refunded <Amount value={settled.refunded} /> · {formatTime(settled.time)}</> : `when ${job.quorum} matching result${job.quorum === 1 ? " is" : "s are"} revealed`,
      events: by("replicaSettled", "settled"),
    },
  ];
  // Announced when the phase changes, apart from the list: its countdowns tick every second.
  const current = phases.find((p) => p.status === "current") ?? [...phases].reverse().find((p) => p.status !== "pending")!;
  return (
    <>
    <p className="visually-hidden" aria-live="polite" data-testid="phase-announcement">
      {`Job ${current.status === "failed" ? "stopped at" : "is at"}: ${current.title}`}
    </p>
    <ol className="timeline" aria-label="Job phases" data-testid="phases">
      {phases.map((p, i) => (
        <li key={p.key} className={p.status === "pending" ? "" : p.status} data-phase={p.key} data-status={p.status}>
          <span className="dot" aria-hidden="true">
            {p.status === "done" ? "✓" : p.status === "failed" ? "✕" : i + 1}
          </span>
          <div>
            <div className="title">
              {p.title} <span className="visually-hidden">({p.status})</span>
            </div>
            <div className="sub">{p.sub}</div>
            {p.events.length > 0 && (
              <ul className="events">
                {p.events.map((e, j) => (
                  <li key={j} data-kind={e.kind}>
                    {e.provider && <Address value={e.provider} provider />} {describe(e)} <TxRef tx={e.tx} block={e.block} />
                  </li>
                ))}
              </ul>
            )}
          </div>
        </li>
      ))}
    </ol>
    </>
  );
}

/** Every event is listed with its transaction and block, so each step can be checked on chain. */
function describe(e: TimelineEntry) {
  switch (e.kind) {
    case "posted":
      return <>posted with escrow <Amount value={e.amount} /></>;
    case "awarded":
      return <>{`awarded to ${e.amount} providers`}</>;
    case "revealOpened":
      return <>reveals opened</>;
    case "settled":
      return <>settled {e.state === "Succeeded" ? "with a quorum" : e.state === "NoConsensus" ? "without consensus" : e.state?.toLowerCase()}, paid <Amount value={e.amount} /></>;
    case "bid":
      return <>bid <Amount value={e.amount} /> (collateral <Amount value={e.amount2} />)</>;
    case "displaced":
      return <>left the pool at <Amount value={e.amount} /></>;
    case "drawn":
      return <>{`replicas drawn at random from a pool of ${e.amount} bids`}</>;
    case "escalated":
      return <>{`no quorum: escalated to round ${e.amount}, for ${e.amount2} more replica(s)`}</>;
    case "restituted":
      return <>requester repaid <Amount value={e.amount} /> of slashed collateral for the extra rounds</>;
    case "committed":
      return <>committed</>;
    case "revealed":
      return <>revealed</>;
    case "replicaSettled":
      return (
        <>
          <OutcomeBadge outcome={e.outcome} /> paid <Amount value={e.amount} />
          {e.amount2 !== "0" && <> · slashed <Amount value={e.amount2} /></>}
        </>
      );
    default:
      return null;
  }
}

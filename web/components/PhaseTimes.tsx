"use client";
import { formatDuration, formatTime } from "@/lib/client/format.ts";
import { useNow } from "@/lib/client/use-now.ts";
import { phaseTimes } from "@/lib/phase-times.ts";
import type { JobDetail } from "@/lib/types.ts";

/** Elapsed wall-clock time per phase, between the blocks of the job's milestone events. */
export function PhaseTimes({ job }: { job: JobDetail }) {
  const now = useNow(job.chainTime);
  const rows = phaseTimes(job.timeline);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="phase-times">
        <caption className="visually-hidden">Elapsed time per phase, from block timestamps</caption>
        <thead>
          <tr>
            <th scope="col">Phase</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
            <th scope="col" className="num">Elapsed</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.key} data-phase-time={p.key} data-seconds={p.seconds}>
              <th scope="row">{p.label}</th>
              <td className="small">
                block {p.from.block} <span className="muted">· {formatTime(p.from.time)}</span>
              </td>
              <td className="small">
                {p.to ? (
                  <>
                    block {p.to.block} <span className="muted">· {formatTime(p.to.time)}</span>
                  </>
                ) : (
                  <span className="muted">going on</span>
                )}
              </td>
              <td className="num">{p.seconds !== undefined ? formatDuration(p.seconds) : <span className="muted">{formatDuration(now - p.from.time)} so far</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small muted">Times are the timestamps of the blocks that hold each event; a chain mining on demand stamps a block when a transaction arrives.</p>
    </div>
  );
}

"use client";
import { jobRounds, type JobRound } from "@/lib/job-rounds.ts";
import { shortCid } from "@/lib/client/format.ts";
import type { JobDetail } from "@/lib/types.ts";
import { Address } from "./Address.tsx";
import { Amount } from "./Amount.tsx";
import { CopyText } from "./CopyText.tsx";
import { OutcomeBadge, StateBadge } from "./StateBadge.tsx";
import { TxRef } from "./TxRef.tsx";

/**
 * An escalated job round by round (docs/PROTOCOL.md, "Escalation"): the replicas each round drew,
 * what they revealed, how the round ended (the escalation, with its transaction, or the
 * settlement), and what the requester got back out of slashed collateral for the extra rounds.
 */
export function JobRounds({ job }: { job: JobDetail }) {
  const { rounds, restitution } = jobRounds(job);
  return (
    <div className="stack" data-testid="rounds">
      <p className="small muted" style={{ margin: 0 }}>
        No result had the quorum and a majority of the reveals, so the job drew more replicas from providers not yet in it. Nobody is judged before the last round; then every round's reveals count
        together.
      </p>
      <ol className="stack" style={{ listStyle: "none", padding: 0, margin: 0 }}>
        {rounds.map((r) => (
          <li key={r.round} data-testid="round" data-round={r.round} aria-labelledby={`round-${r.round}`}>
            <Round r={r} />
          </li>
        ))}
      </ol>
      {restitution && (
        <p className="small" data-testid="restitution">
          <strong>Restitution:</strong> <Amount value={restitution.amount!} /> of the slashed collateral went back to the requester, for what it paid the replicas beyond the first {job.replicas}.{" "}
          <TxRef tx={restitution.tx} block={restitution.block} />
        </p>
      )}
    </div>
  );
}

function Round({ r }: { r: JobRound }) {
  const title = r.round === 0 ? "First round" : `Escalation round ${r.round}`;
  return (
    <section>
      <h3 id={`round-${r.round}`} style={{ margin: "0 0 var(--space-1)" }}>
        {title}: {r.replicas.length} of {r.sought} replica{r.sought === 1 ? "" : "s"} drawn
      </h3>
      <p className="small muted" style={{ margin: "0 0 var(--space-1)" }}>
        {r.opened && (
          <>
            Opened by the escalation <TxRef tx={r.opened.tx} block={r.opened.block} /> ·{" "}
          </>
        )}
        {r.bids} bid{r.bids === 1 ? "" : "s"}
        {r.displaced > 0 && `, ${r.displaced} not drawn or outbid`} · {r.reveals} reveal{r.reveals === 1 ? "" : "s"}
        {r.reveals > 0 && `, ${r.distinctResults} distinct result${r.distinctResults === 1 ? "" : "s"}`}
      </p>
      {r.replicas.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Replicas of the {title.toLowerCase()}</caption>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col" className="num">Bid</th>
                <th scope="col">Revealed result</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {r.replicas.map((x) => (
                <tr key={x.provider} data-testid="round-replica" data-provider={x.provider}>
                  <td>
                    <Address value={x.provider} provider />
                  </td>
                  <td className="num">{x.price ? <Amount value={x.price} /> : "—"}</td>
                  <td>
                    {x.resultCid ? <CopyText value={x.resultCid} shown={shortCid(x.resultCid)} label="result CID" /> : x.committed ? "not revealed" : "not committed"}
                    {x.agrees === false && <span className="badge bad"> differs</span>}
                  </td>
                  <td>
                    <OutcomeBadge outcome={x.outcome} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="small" data-testid="round-end" data-end={r.end.kind} style={{ margin: "var(--space-1) 0 0" }}>
        {r.end.kind === "escalated" ? (
          <>
            <strong>No quorum:</strong> escalated to round {r.end.nextRound}, seeking {r.end.extra} more replica{r.end.extra === 1 ? "" : "s"}. <TxRef tx={r.end.entry.tx} block={r.end.entry.block} />
          </>
        ) : r.end.kind === "settled" ? (
          <>
            <strong>Settled:</strong> <StateBadge state={r.end.entry.state!} /> <TxRef tx={r.end.entry.tx} block={r.end.entry.block} />
          </>
        ) : (
          <span className="muted">In progress: {r.award ? "the replicas are running, committing and revealing" : "waiting for bids"}.</span>
        )}
      </p>
    </section>
  );
}

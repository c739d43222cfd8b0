"use client";
import { Address } from "@/components/Address.tsx";
import { Amount } from "@/components/Amount.tsx";
import { Card } from "@/components/Card.tsx";
import { CopyText } from "@/components/CopyText.tsx";
import { JobActions } from "@/components/JobActions.tsx";
import { JobPhases } from "@/components/JobPhases.tsx";
import { JobRounds } from "@/components/JobRounds.tsx";
import { ProviderAnswers } from "@/components/ProviderAnswers.tsx";
import { PhaseTimes } from "@/components/PhaseTimes.tsx";
import { ResultBundleExplained } from "@/components/ResultBundleExplained.tsx";
import { ResultPanel } from "@/components/ResultPanel.tsx";
import { RunLink } from "@/components/RunLink.tsx";
import { WhatRan } from "@/components/WhatRan.tsx";
import { JobOutcome, OutcomeBadge } from "@/components/StateBadge.tsx";
import { Empty, ErrorNotice, Loading } from "@/components/Status.tsx";
import { useApi } from "@/lib/client/api.ts";
import { bps, formatDuration, shortCid, shortId } from "@/lib/client/format.ts";
import { replicaCapOf } from "@/lib/replica-cap.ts";
import type { JobDetail } from "@/lib/types.ts";

export function JobView({ id, initial }: { id: string; initial?: JobDetail }) {
  const q = useApi<JobDetail>(`/api/jobs/${id}`, initial);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>
          Job <CopyText value={id} shown={shortId(id)} label="job id" />
        </h1>
        {q.data && <JobOutcome jobId={q.data.id} state={q.data.state} />}
      </div>
      {q.isPending ? <Loading label="Reading the job's history…" /> : q.error ? <ErrorNotice error={q.error} title="This job could not be loaded" /> : <Job job={q.data} />}
    </div>
  );
}

/** The escalation cap, read back from the escrow, which covers exactly that many replicas (lib/replica-cap.ts). */
function MostReplicas({ job }: { job: JobDetail }) {
  const cap = replicaCapOf(BigInt(job.escrow), BigInt(job.maxPrice));
  if (cap === undefined) return null;
  return (
    <>
      <dt>Most replicas if results disagree</dt>
      <dd>{cap > job.replicas ? cap : `${cap} (no escalation)`}</dd>
    </>
  );
}

function Job({ job }: { job: JobDetail }) {
  const s = job.settlement;
  return (
    <>
      <RunLink manifestCid={job.manifestCid} />
      <JobActions job={job} />
      <div className="grid-2">
        <Card title="Progress" id="progress">
          <JobPhases job={job} />
        </Card>
        <Card title="Terms" id="terms">
          <dl className="facts">
            <dt>Requester</dt>
            <dd>
              <Address value={job.requester} />
            </dd>
            <dt>Manifest</dt>
            <dd>
              <CopyText value={job.manifestCid} shown={shortCid(job.manifestCid)} label="manifest CID" />
            </dd>
            <dt>Replicas</dt>
            <dd>
              {job.replicas} independent run{job.replicas === 1 ? "" : "s"}; {job.quorum} must match
            </dd>
            <MostReplicas job={job} />
            <dt>Max price / replica</dt>
            <dd>
              <Amount value={job.maxPrice} />
            </dd>
            <dt>Escrow</dt>
            <dd>
              <Amount value={job.escrow} />
            </dd>
            {job.fuel !== undefined && (
              <>
                <dt>Fuel limit</dt>
                <dd>{job.fuel.toLocaleString("en")}</dd>
              </>
            )}
            <dt>Min. reputation</dt>
            <dd>{bps(job.minReputation)}</dd>
            <dt>Windows</dt>
            <dd>
              bids {job.awardOnFill ? "until filled" : "fixed"}, commit {formatDuration(job.commitWindow)}, reveal {formatDuration(job.revealWindow)}
            </dd>
          </dl>
        </Card>
      </div>
      <Card title="What ran" id="what-ran">
        <WhatRan manifestCid={job.manifestCid} />
      </Card>
      <Card title="Time per phase" id="phase-times">
        <PhaseTimes job={job} />
      </Card>
      <Card title="Result" id="result">
        <ResultPanel job={job} />
      </Card>
      <Card title="What the result holds" id="result-bundle">
        <details open={job.state === "Succeeded"}>
          <summary>The sealed result bundle: contents, sealing, verification, and the CLI</summary>
          <ResultBundleExplained job={job} />
        </details>
      </Card>
      <Card title="Providers' part" id="replicas">
        {job.replicaRows.length ? <ReplicaTable job={job} /> : <Bids job={job} />}
      </Card>
      {job.timeline.some((e) => e.kind === "escalated") && (
        <Card title="Rounds" id="rounds">
          <JobRounds job={job} />
        </Card>
      )}
      {job.state === "Open" && (
        <Card title="Why providers have not bid" id="provider-answers">
          <ProviderAnswers job={job} />
        </Card>
      )}
      {s && (
        <Card title="Settlement" id="settlement">
          <dl className="facts">
            <dt>Outcome</dt>
            <dd>
              <JobOutcome jobId={job.id} state={s.state} />
            </dd>
            <dt>Consensus digest</dt>
            <dd>{/^0x0+$/.test(s.resultDigest) ? "none" : <CopyText value={s.resultDigest} shown={shortCid(s.resultDigest)} label="consensus digest" />}</dd>
            <dt>Paid to providers</dt>
            <dd>
              <Amount value={s.paid} />
            </dd>
            <dt>Protocol fee</dt>
            <dd>
              <Amount value={s.fee} />
            </dd>
            <dt>Refunded to requester</dt>
            <dd>
              <Amount value={s.refunded} />
            </dd>
            <dt>Slashed collateral to requester</dt>
            <dd>
              <Amount value={s.slashed} />
            </dd>
          </dl>
        </Card>
      )}
    </>
  );
}

function Bids({ job }: { job: JobDetail }) {
  if (!job.bidBook.length)
    return (
      <Empty>
        {job.state === "Open"
          ? "No bids yet. Providers bid as soon as they see the job; those that will not say why below."
          : `No provider bid before the job was ${job.state === "Cancelled" ? "cancelled" : "closed"}.`}
      </Empty>
    );
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Bids</caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col" className="num">Bid</th>
            <th scope="col" className="num">Collateral</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {job.bidBook.map((b) => (
            <tr key={b.provider}>
              <td>
                <Address value={b.provider} provider />
              </td>
              <td className="num">
                <Amount value={b.price} />
              </td>
              <td className="num">
                <Amount value={b.collateral} />
              </td>
              <td>{b.displaced ? <span className="badge neutral">{b.notDrawn ? "Not drawn" : "Outbid"}</span> : <span className="badge info">In the best {job.replicas}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ReplicaTable({ job }: { job: JobDetail }) {
  const losers = job.bidBook.filter((b) => !b.won);
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Each awarded provider's part</caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col" className="num">Bid</th>
            <th scope="col" className="num">Collateral</th>
            <th scope="col">Committed</th>
            <th scope="col">Revealed result</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="num">Paid</th>
            <th scope="col" className="num">Slashed</th>
          </tr>
        </thead>
        <tbody>
          {job.replicaRows.map((r) => (
            <tr key={r.provider}>
              <td>
                <Address value={r.provider} provider />
              </td>
              <td className="num">
                <Amount value={r.price} />
              </td>
              <td className="num">
                <Amount value={r.collateral} />
              </td>
              <td>{r.committed ? "yes" : "no"}</td>
              <td>
                {r.resultCid ? <CopyText value={r.resultCid} shown={shortCid(r.resultCid)} label="result CID" /> : "—"}
                {r.resultCid && job.consensusCid && r.resultCid !== job.consensusCid && <span className="badge bad"> differs</span>}
              </td>
              <td>
                <OutcomeBadge outcome={r.outcome} />
              </td>
              <td className="num">
                <Amount value={r.paid} />
              </td>
              <td className="num">
                <Amount value={r.slashed} />
              </td>
            </tr>
          ))}
          {losers.map((b) => (
            <tr key={b.provider} className="muted">
              <td>
                <Address value={b.provider} provider />
              </td>
              <td className="num">
                <Amount value={b.price} />
              </td>
              <td colSpan={6}>{b.notDrawn ? "not drawn; collateral released" : b.displaced ? "outbid; collateral released" : "not awarded"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

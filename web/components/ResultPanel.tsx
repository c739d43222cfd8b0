"use client";
import { useEffect, useMemo, useState } from "react";
import { useConfig, useConnection } from "wagmi";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { formatBytes, shortCid } from "@/lib/client/format.ts";
import { openJobResult, type OpenedResult } from "@/lib/client/open-result.ts";
import { programStatusText, programSucceeded, rememberProgramStatus } from "@/lib/client/program-status.ts";
import { useResultKey } from "@/lib/client/result-key.tsx";
import { useMounted } from "@/lib/client/use-mounted.ts";
import type { JobDetail } from "@/lib/types.ts";
import { Address } from "./Address.tsx";
import { CopyText } from "./CopyText.tsx";
import { ErrorNotice } from "./Status.tsx";

/** A download link for bytes held in the page; the object URL is released when the link goes. */
function Download({ bytes, name, label, testId }: { bytes: Uint8Array; name: string; label: string; testId?: string }) {
  const url = useMemo(() => URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" })), [bytes]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <a className="button secondary" href={url} download={name} data-testid={testId}>
      {label}
    </a>
  );
}

const text = (b: Uint8Array) => new TextDecoder("utf-8", { fatal: false }).decode(b);

/**
 * The consensus result: fetched sealed, decrypted in this page with the key the wallet's
 * signature derives (it never leaves the page), and checked against the on-chain digest.
 */
export function ResultPanel({ job }: { job: JobDetail }) {
  const app = useAppConfig();
  const wagmi = useConfig();
  const conn = useConnection();
  const keys = useResultKey();
  const mounted = useMounted();
  const [state, setState] = useState<{ busy: boolean; result?: OpenedResult; error?: unknown }>({ busy: false });

  if (job.state !== "Succeeded") {
    const why: Record<string, string> = {
      NoConsensus: `No result reached the quorum of ${job.quorum}: the providers disagreed. You were refunded in full.`,
      Failed: `Fewer than ${job.quorum} providers committed a result in time. You were refunded in full.`,
      Expired: `Fewer than ${job.quorum} providers bid before the deadline. You were refunded in full.`,
      Cancelled: "You cancelled the job before it was awarded. You were refunded in full.",
    };
    return <p className="muted">{why[job.state] ?? "The result appears here once a quorum of providers agree."}</p>;
  }
  const isRequester = mounted && conn.address?.toLowerCase() === job.requester.toLowerCase();

  async function open() {
    setState({ busy: true });
    try {
      const key = await keys.get(conn.address!);
      const result = await openJobResult(wagmi, app.jobMarket, job, key);
      rememberProgramStatus(app.chainId, app.jobMarket, job.id, result.bundle.status);
      setState({ busy: false, result });
    } catch (error) {
      setState({ busy: false, error });
    }
  }

  const r = state.result;
  return (
    <div className="stack">
      <p className="small">
        Consensus result <CopyText value={job.consensusCid!} shown={shortCid(job.consensusCid!)} label="result CID" />
      </p>
      {!r && (
        <div className="row">
          <button className="button" onClick={open} disabled={!isRequester || state.busy} data-testid="open-result">
            {state.busy ? "Decrypting…" : "Decrypt and verify result"}
          </button>
          {mounted && !conn.isConnected && <span className="small muted">Connect the wallet that posted this job.</span>}
          {mounted && conn.isConnected && !isRequester && <span className="small muted">Only the requester (<Address value={job.requester} />) holds the key to this result.</span>}
        </div>
      )}
      {state.error !== undefined && <ErrorNotice error={state.error} title="The result could not be opened" />}
      {r && (
        <div className="stack" data-testid="result">
          <div className="notice ok small" role="status">
            Verified: decrypted in your browser, and its CID matches the consensus digest on-chain. Served by <Address value={r.from} provider />.
          </div>
          {!programSucceeded(r.bundle.status) && (
            <div className="notice warn small" role="status" data-testid="program-failed">
              The providers agreed on this result, but the program {programStatusText(r.bundle.status)}: read its standard error below. Consensus says the run is reproducible, not that the
              program did what you meant.
            </div>
          )}
          <dl className="facts">
            <dt>Status</dt>
            <dd data-testid="result-status">{programStatusText(r.bundle.status)}</dd>
            <dt>Fuel used</dt>
            <dd>{r.bundle.fuelUsed.toLocaleString("en")}</dd>
          </dl>
          <div>
            <h3>Standard output</h3>
            <pre className="output" data-testid="stdout">{text(r.bundle.stdout) || "(empty)"}</pre>
          </div>
          <div>
            <h3>Standard error</h3>
            <pre className="output">{text(r.bundle.stderr) || "(empty)"}</pre>
          </div>
          <div className="row">
            <Download bytes={r.bundle.stdout} name={`job-${job.id}-stdout.txt`} label="Download stdout" testId="download-stdout" />
            <Download bytes={r.bundle.stderr} name={`job-${job.id}-stderr.txt`} label="Download stderr" />
            <Download bytes={r.bytes} name={`job-${job.id}-result.cbor`} label="Download result bundle" />
          </div>
          {Object.keys(r.bundle.files).length > 0 && (
            <div>
              <h3>Output files</h3>
              <ul>
                {Object.entries(r.bundle.files).map(([path, bytes]) => (
                  <li key={path} className="row">
                    <code>/output/{path}</code> <span className="muted small">{formatBytes(bytes.length)}</span>
                    <Download bytes={bytes} name={path.split("/").pop()!} label="Download" />
                  </li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
    </div>
  );
}

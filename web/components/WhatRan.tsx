"use client";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "@/lib/client/api.ts";
import type { ManifestAnswer } from "@/lib/manifest-answer.ts";
import { formatBytes, formatDuration, shortCid } from "@/lib/client/format.ts";
import { CopyText } from "./CopyText.tsx";
import { ErrorNotice } from "./Status.tsx";

/** A WebAssembly page: memory limits are counted in them. */
const WASM_PAGE_BYTES = 65_536;

/** What the job ran: its module, arguments, environment, inputs and limits, from its manifest. */
export function WhatRan({ manifestCid }: { manifestCid: string }) {
  // A CID names one manifest forever: read once, not again on every block like the job's own data
  // (its key is outside "api"). The server checks the bytes against the CID and parses them as a provider does.
  const q = useQuery({
    queryKey: ["manifest", manifestCid],
    queryFn: () => fetchJson<ManifestAnswer>(`/api/manifests/${manifestCid}`),
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (q.isPending) return <p className="small muted">Fetching the manifest…</p>;
  if (q.error) return <ErrorNotice error={q.error} title="The manifest could not be read" />;
  if (!q.data.available)
    return (
      <div className="small" data-testid="what-ran-unavailable">
        <p>
          <strong>The manifest <CopyText value={manifestCid} shown={shortCid(manifestCid)} label="manifest CID" /> cannot be shown.</strong> {q.data.reason}
        </p>
        <p className="muted">{q.data.fix}</p>
      </div>
    );
  const m = q.data.manifest;
  const inputs = Object.entries(m.inputs);
  const env = Object.entries(m.env);
  const l = m.limits;
  return (
    <dl className="facts" data-testid="what-ran">
      <dt>Module</dt>
      <dd>
        <CopyText value={m.module} shown={shortCid(m.module)} label="module CID" testId="what-ran-module" />
      </dd>
      <dt>Arguments</dt>
      <dd data-testid="what-ran-args">
        {m.args.length ? (
          <ol className="hits">
            {m.args.map((a, i) => (
              <li key={i}>
                <code>{a}</code>
              </li>
            ))}
          </ol>
        ) : (
          "none"
        )}
      </dd>
      <dt>Environment</dt>
      <dd>
        {env.length ? (
          <ul className="hits">
            {env.map(([k, v]) => (
              <li key={k}>
                <code>
                  {k}={v}
                </code>
              </li>
            ))}
          </ul>
        ) : (
          "none"
        )}
      </dd>
      <dt>Standard input</dt>
      <dd>{m.stdin ? <CopyText value={m.stdin} shown={shortCid(m.stdin)} label="stdin CID" /> : "empty"}</dd>
      <dt>Input files</dt>
      <dd data-testid="what-ran-inputs">
        {inputs.length ? (
          <ul className="hits">
            {inputs.map(([path, cid]) => (
              <li key={path} data-path={path}>
                <code>/input/{path}</code> <CopyText value={cid} shown={shortCid(cid)} label={`CID of /input/${path}`} />
              </li>
            ))}
          </ul>
        ) : (
          "none"
        )}
      </dd>
      <dt>Limits</dt>
      <dd data-testid="what-ran-limits">
        fuel {l.fuel.toLocaleString("en")}; memory {formatBytes(l.memoryPages * WASM_PAGE_BYTES)}; wall clock {formatDuration(l.wallClockMs / 1000)}; stdout {formatBytes(l.stdoutBytes)}, stderr{" "}
        {formatBytes(l.stderrBytes)}; output {l.outputFiles.toLocaleString("en")} files, {formatBytes(l.outputBytes)} in all
      </dd>
    </dl>
  );
}

"use client";
import Link from "next/link";
import { useEffect, useMemo, useRef } from "react";
import { formatBytes } from "@/lib/client/format.ts";
import { programStatusText, programSucceeded } from "@/lib/client/program-status.ts";
import type { CellOutput, CellResult } from "@/lib/client/run-results.ts";
import type { Pixels } from "@/lib/image.ts";
import { gridColumns } from "@/lib/runs.ts";
import type { CellState, RunCell } from "@/lib/types.ts";

/** A few tasks do not each need a third of a desktop screen. */
const MAX_CELL_PX = 240;

export const CELL_LABEL: Record<CellState, string> = { waiting: "waiting for bids", running: "running", verified: "verified", failed: "failed" };

/** What a cell says in words: its state, which attempt, and why earlier ones were posted again. */
function cellTitle(c: RunCell): string {
  const failed = c.state === "failed" ? ` (${c.jobState})` : "";
  const tries = c.attempts > 1 ? `, attempt ${c.attempt}; earlier: ${c.earlier.map((e) => `job ${e.jobId} ${e.state}`).join(", ")}` : "";
  return `${c.task}: ${CELL_LABEL[c.state]}${failed}${tries}. Job ${c.jobId}.`;
}

/**
 * The run's tasks as a square grid, in task order (tile-2 before tile-10), so a picture cut into
 * T x T tiles numbered row by row shows as the picture once its tiles are opened. Each cell
 * links to its latest job; a verified one, once opened, shows its picture or its outputs.
 */
export function RunGrid({ cells, results }: { cells: RunCell[]; results: Record<string, CellResult> }) {
  const columns = gridColumns(cells.length);
  return (
    <ol className="run-grid" style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`, maxWidth: columns * MAX_CELL_PX }} data-testid="run-grid" data-columns={columns} aria-label="Tasks of the run">
      {cells.map((c) => (
        <Cell key={c.task} cell={c} result={results[c.jobId]} />
      ))}
    </ol>
  );
}

function Cell({ cell, result }: { cell: RunCell; result: CellResult | undefined }) {
  const opened = result?.status === "open" ? result : undefined;
  const picture = opened?.outputs.find((o) => o.pixels || o.image?.kind === "native");
  const others = opened?.outputs.filter((o) => o !== picture) ?? [];
  return (
    <li className={`run-cell ${cell.state}${picture ? " has-picture" : ""}`} data-testid="run-cell" data-task={cell.task} data-state={cell.state} data-job={cell.jobId} title={cellTitle(cell)}>
      <Link href={`/jobs/${cell.jobId}`} className="run-cell-link" aria-label={cellTitle(cell)}>
        {picture ? <Picture output={picture} task={cell.task} /> : <span className="run-cell-name">{cell.task}</span>}
      </Link>
      <span className="run-cell-state">
        {CELL_LABEL[cell.state]}
        {cell.attempts > 1 && ` · try ${cell.attempt}`}
      </span>
      {result?.status === "opening" && <span className="run-cell-note">decrypting…</span>}
      {result?.status === "error" && (
        <span className="run-cell-note bad" data-testid="cell-error">
          {result.message}
        </span>
      )}
      {opened && !programSucceeded(opened.exit) && <span className="run-cell-note bad">program {programStatusText(opened.exit)}</span>}
      {others.map((o) => (
        <Download key={o.name} output={o} task={cell.task} />
      ))}
    </li>
  );
}

function Picture({ output, task }: { output: CellOutput; task: string }) {
  if (output.pixels) return <PixelCanvas pixels={output.pixels} label={`${task} ${output.name}`} task={task} />;
  return <BlobImage bytes={output.bytes} mime={output.image?.kind === "native" ? output.image.mime : "application/octet-stream"} label={`${task} ${output.name}`} task={task} />;
}

/** A picture the browser cannot decode (PPM, PGM), drawn from its decoded pixels. */
function PixelCanvas({ pixels, label, task }: { pixels: Pixels; label: string; task: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext("2d");
    if (ctx) ctx.putImageData(new ImageData(new Uint8ClampedArray(pixels.rgba), pixels.width, pixels.height), 0, 0);
  }, [pixels]);
  return <canvas ref={ref} width={pixels.width} height={pixels.height} className="run-picture" role="img" aria-label={label} data-testid="cell-picture" data-task={task} />;
}

function useObjectUrl(bytes: Uint8Array, type: string): string {
  const url = useMemo(() => URL.createObjectURL(new Blob([bytes as BlobPart], { type })), [bytes, type]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return url;
}

function BlobImage({ bytes, mime, label, task }: { bytes: Uint8Array; mime: string; label: string; task: string }) {
  // A plain <img>: bytes decrypted in this page have no URL next/image's optimiser could fetch.
  return <img src={useObjectUrl(bytes, mime)} alt={label} className="run-picture" data-testid="cell-picture" data-task={task} />;
}

function Download({ output, task }: { output: CellOutput; task: string }) {
  const url = useObjectUrl(output.bytes, "application/octet-stream");
  const file = `${task}-${output.name.replace(/^\/output\//, "").replaceAll("/", "_")}`;
  return (
    <a className="run-cell-file" href={url} download={file} data-testid="cell-output" title={`Download ${output.name} (${formatBytes(output.bytes.length)})`}>
      {output.name} · {formatBytes(output.bytes.length)}
    </a>
  );
}

"use client";
import type { ResultKeyPair } from "@accord/client/seal";
import { useCallback, useEffect, useRef, useState } from "react";
import { useConfig, useConnection } from "wagmi";
import { decodeNetpbm, sniffImage, type ImageKind, type Pixels } from "../image.ts";
import type { RunCell, RunDetail } from "../types.ts";
import { useAppConfig } from "./app-config.tsx";
import { openJobResult, type OpenableJob } from "./open-result.ts";
import { rememberProgramStatus, type ProgramStatus } from "./program-status.ts";
import { useResultKey } from "./result-key.tsx";

/** Results fetched and decrypted at once: each is mostly waiting on the server and providers. */
export const RESULTS_IN_FLIGHT = 4;

/** One output of a task's result: standard output or a file under /output, and how to show it. */
export type CellOutput = { name: string; bytes: Uint8Array; image?: ImageKind; pixels?: Pixels };

export type CellResult = { status: "opening" } | { status: "open"; outputs: CellOutput[]; exit: ProgramStatus } | { status: "error"; message: string };

/** The cell as the job page's result panel reads a job: enough to fetch, decrypt and check it. */
const openable = (cell: RunCell): OpenableJob => ({
  id: cell.jobId,
  state: cell.jobState,
  consensusCid: cell.consensusCid,
  settlement: cell.settlementBlock === undefined ? undefined : { block: cell.settlementBlock },
  replicaRows: cell.agreeing.map((a) => ({ provider: a.provider, outcome: "Agreed" as const, sealedResultCid: a.sealedResultCid })),
});

function outputsOf(stdout: Uint8Array, files: Record<string, Uint8Array>): CellOutput[] {
  const all = [{ name: "stdout", bytes: stdout }, ...Object.entries(files).map(([path, bytes]) => ({ name: `/output/${path}`, bytes }))].filter((o) => o.bytes.length > 0);
  return all.map((o) => {
    const image = sniffImage(o.bytes);
    return { ...o, image, pixels: image?.kind === "netpbm" ? decodeNetpbm(o.bytes) : undefined };
  });
}

/**
 * The requester's results for a run's grid, opened in this page: the wallet signs once for the
 * result key (held in page memory by ResultKeyProvider, never stored or sent), then every
 * verified task's sealed bundle is fetched, decrypted and checked against the chain's consensus
 * digest as on a job's page, a few at a time. Tasks verified later, as the grid fills, are opened
 * as they arrive. Keyed by job id: a task posted again is a new job with its own result.
 */
export function useRunResults(run: RunDetail | undefined) {
  const app = useAppConfig();
  const wagmi = useConfig();
  const conn = useConnection();
  const keys = useResultKey();
  // The key with the account that signed for it: another account connected later opens nothing with it.
  const [signed, setSigned] = useState<{ address: string; key: ResultKeyPair }>();
  const [keyError, setKeyError] = useState<unknown>();
  const [asking, setAsking] = useState(false);
  const [results, setResults] = useState<Record<string, CellResult>>({});
  const started = useRef(new Set<string>());
  const inFlight = useRef(0);
  const queue = useRef<RunCell[]>([]);
  const isRequester = !!run && conn.status === "connected" && conn.address?.toLowerCase() === run.requester.toLowerCase();
  const key = signed && signed.address === conn.address?.toLowerCase() ? signed.key : undefined;

  const show = useCallback(async () => {
    if (!conn.address) return;
    setAsking(true);
    setKeyError(undefined);
    try {
      setSigned({ address: conn.address.toLowerCase(), key: await keys.get(conn.address) });
    } catch (err) {
      setKeyError(err);
    } finally {
      setAsking(false);
    }
  }, [conn.address, keys]);

  useEffect(() => {
    if (!key || !run || !isRequester) return;
    const pump = () => {
      while (inFlight.current < RESULTS_IN_FLIGHT && queue.current.length) {
        const cell = queue.current.shift()!;
        inFlight.current++;
        setResults((r) => ({ ...r, [cell.jobId]: { status: "opening" } }));
        openJobResult(wagmi, app.jobMarket, openable(cell), key)
          .then((opened) => {
            rememberProgramStatus(app.chainId, app.jobMarket, cell.jobId, opened.bundle.status);
            setResults((r) => ({ ...r, [cell.jobId]: { status: "open", exit: opened.bundle.status, outputs: outputsOf(opened.bundle.stdout, opened.bundle.files) } }));
          })
          .catch((err: unknown) => setResults((r) => ({ ...r, [cell.jobId]: { status: "error", message: (err as { shortMessage?: string }).shortMessage ?? (err as Error).message } })))
          .finally(() => {
            inFlight.current--;
            pump();
          });
      }
    };
    for (const cell of run.cells) {
      if (cell.state !== "verified" || started.current.has(cell.jobId)) continue;
      started.current.add(cell.jobId);
      queue.current.push(cell);
    }
    pump();
  }, [key, run, isRequester, wagmi, app.jobMarket, app.chainId]);

  return { isRequester, shown: !!key, asking, keyError, show, results };
}

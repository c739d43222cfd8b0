"use client";
import { cidOfBytes } from "@accord/client/content/cid";
import { generateResultKey } from "@accord/client/seal";
import { useState } from "react";
import type { Address } from "viem";
import { dryRunInWorker, type DryRunResult } from "@/lib/client/dry-run.ts";
import { manifestOf, type JobFormValues } from "@/lib/client/job-form.ts";
import { programStatusText, programSucceeded } from "@/lib/client/program-status.ts";
import type { useResultKey } from "@/lib/client/result-key.tsx";
import { shortCid } from "@/lib/client/format.ts";
import { CopyText } from "./CopyText.tsx";
import { ErrorNotice } from "./Status.tsx";

const PREVIEW_BYTES = 4096;
const text = (b: Uint8Array) => new TextDecoder("utf-8", { fatal: false }).decode(b.subarray(0, PREVIEW_BYTES)) + (b.length > PREVIEW_BYTES ? "\n…" : "");

/**
 * Runs the job as the form describes it in the reference sandbox, in this browser, before
 * anything is uploaded or paid: the manifest is the one Post will pin (same result key, same
 * nonce), so the result CID shown is the one honest providers will commit to.
 */
export function DryRun({ values, ready, account, keys, nonce }: { values: JobFormValues; ready: boolean; account: Address | undefined; keys: ReturnType<typeof useResultKey>; nonce: string }) {
  const [state, setState] = useState<{ busy: boolean; result?: DryRunResult; error?: unknown; ephemeral?: boolean }>({ busy: false });

  async function run() {
    setState({ busy: true });
    try {
      // Without a wallet the result key is a throwaway: the manifest (and so the job's seed) then
      // differs from the one posted later, which matters only to programs that read random bytes.
      const key = account ? await keys.get(account) : generateResultKey();
      const files = [values.module!, ...(values.stdin ? [values.stdin] : []), ...values.inputs];
      const bytes = await Promise.all(files.map(async (f) => new Uint8Array(await f.arrayBuffer())));
      const cids = await Promise.all(bytes.map(async (b) => (await cidOfBytes(b)).toString()));
      const blocks = Object.fromEntries(cids.map((c, i) => [c, bytes[i]!]));
      const inputs: Record<string, string> = {};
      values.inputs.forEach((f, i) => (inputs[f.name] = cids[1 + (values.stdin ? 1 : 0) + i]!));
      const manifest = manifestOf(values, { module: cids[0]!, stdin: values.stdin ? cids[1] : undefined, inputs }, key.publicKeyHex, nonce);
      setState({ busy: false, result: await dryRunInWorker({ manifest, blocks }), ephemeral: !account });
    } catch (error) {
      setState({ busy: false, error });
    }
  }

  const r = state.result;
  return (
    <div className="stack" data-testid="dry-run">
      <div className="row">
        <button type="button" className="button secondary" onClick={run} disabled={!ready || state.busy} data-testid="dry-run-button">
          {state.busy ? "Running in your browser…" : "Dry run in this browser"}
        </button>
        <span className="small muted">Runs the job here, in the sandbox providers use, before anything is paid.</span>
      </div>
      {state.error !== undefined && <ErrorNotice error={state.error} title="The dry run did not finish" />}
      {r && (
        <div className={`notice ${programSucceeded(r.bundle.status) ? "ok" : "warn"} small`} data-testid="dry-run-result" aria-live="polite">
          <p>
            <strong data-testid="dry-run-status">The program {programStatusText(r.bundle.status)}</strong>, using {r.bundle.fuelUsed.toLocaleString("en")} of {Number(values.fuel).toLocaleString("en")} fuel
            ({Math.round(r.wallMs)} ms here).
            {!programSucceeded(r.bundle.status) && " Providers will agree on this result too: fix the program or its arguments before paying for it."}
          </p>
          <p>
            Result CID <CopyText value={r.resultCid} shown={shortCid(r.resultCid)} label="dry-run result CID" testId="dry-run-cid" />{" "}
            {state.ephemeral ? "(for a throwaway key: connect your wallet for the CID of the job you will post)" : "(the CID honest providers will commit to when you post this job)"}
          </p>
          {r.bundle.stdout.length > 0 && <pre className="output">{text(r.bundle.stdout)}</pre>}
          {r.bundle.stderr.length > 0 && <pre className="output">{text(r.bundle.stderr)}</pre>}
        </div>
      )}
    </div>
  );
}

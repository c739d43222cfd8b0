"use client";
import { useState } from "react";
import { bytesToHex } from "viem";
import { useConnection } from "wagmi";
import { useResultKey } from "@/lib/client/result-key.tsx";
import { useMounted } from "@/lib/client/use-mounted.ts";
import { CopyButton } from "./CopyText.tsx";
import { ErrorNotice } from "./Status.tsx";

/**
 * For the requester's own wallet, on request: the result key its signature derives, as the
 * file the CLI reads (ACCORD_RESULT_KEY_FILE), so a job posted here opens with `accord job result`
 * too. Shown in this page only, like the key itself, never stored or sent.
 */
export function CliResultKey({ jobId, requester }: { jobId: string; requester: string }) {
  const conn = useConnection();
  const mounted = useMounted();
  const keys = useResultKey();
  const [state, setState] = useState<{ busy: boolean; secret?: string; error?: unknown }>({ busy: false });
  if (!mounted || !conn.address || conn.address.toLowerCase() !== requester.toLowerCase()) return null;
  const show = async () => {
    setState({ busy: true });
    try {
      setState({ busy: false, secret: bytesToHex((await keys.get(conn.address!)).secretKey) });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  if (!state.secret)
    return (
      <div className="stack">
        <p>
          <button type="button" className="button secondary" onClick={show} disabled={state.busy} data-testid="cli-key-button">
            {state.busy ? "Waiting for the wallet…" : "Show my result key for the CLI"}
          </button>{" "}
          <span className="muted">Your wallet signs the same message as for decrypting; the key stays in this page.</span>
        </p>
        {state.error !== undefined && <ErrorNotice error={state.error} title="The key could not be derived" />}
      </div>
    );
  const file = "web-result.key";
  return (
    <div className="stack" data-testid="cli-key">
      <div className="notice warn small" role="status">
        This key opens every result sealed to this wallet, now and later: keep the file private (the CLI refuses a key file others can read) and delete it when done.
      </div>
      <p className="row">
        Result key: <code className="mono" data-testid="cli-key-secret" style={{ overflowWrap: "anywhere" }}>
          {state.secret}
        </code> <CopyButton value={state.secret} label="result key" />
      </p>
      <pre className="output">{`(umask 077; echo ${state.secret} > ${file})\nACCORD_RESULT_KEY_FILE=${file} npx accord job result ${jobId} --out ./job-${jobId}`}</pre>
    </div>
  );
}

"use client";
import { shortCid } from "@/lib/client/format.ts";
import type { JobDetail } from "@/lib/types.ts";
import { Address } from "./Address.tsx";
import { CliResultKey } from "./CliResultKey.tsx";
import { CopyText } from "./CopyText.tsx";

/**
 * What the sealed result of this job is, how it was sealed and checked, and how to open it with
 * the CLI too (docs/PROTOCOL.md, "Result" and "Sealed results"), with this job's own CIDs.
 */
export function ResultBundleExplained({ job }: { job: JobDetail }) {
  const agreed = job.replicaRows.filter((r) => r.sealedResultCid && (job.consensusCid ? r.resultCid === job.consensusCid : r.revealed));
  const digest = job.settlement && !/^0x0+$/.test(job.settlement.resultDigest) ? job.settlement.resultDigest : undefined;
  const command = `npx accord job result ${job.id} --out ./job-${job.id}`;
  return (
    <div className="stack small" data-testid="result-bundle">
      <p>
        {job.consensusCid
          ? `A quorum of ${job.quorum} providers revealed the same result; this is what it holds and how it reaches you.`
          : job.settlement
            ? "No result reached the quorum, so there is no bundle to open; had one, it would be as follows."
            : "Once a quorum of providers reveal the same result, it is a bundle like this."}
      </p>
      <div>
        <h3>What the bundle holds</h3>
        <ul>
          <li>
            <strong>Exit status</strong>: the program&apos;s exit code, or the trap that stopped it (out of fuel, out-of-bounds memory, …), or the output limit it hit. Consensus says the
            providers agree on it, not that it is 0.
          </li>
          <li>
            <strong>Fuel used</strong>: the instructions the run metered, at most the manifest&apos;s limit{job.fuel !== undefined && ` (${job.fuel.toLocaleString("en")})`}.
          </li>
          <li>
            <strong>Standard output and standard error</strong>, each kept up to the manifest&apos;s byte limit.
          </li>
          <li>
            <strong>Files</strong>: every regular file the program left under <code>/output</code>, by its path there.
          </li>
        </ul>
        <p className="muted">
          Encoded as canonical DAG-CBOR <code>{"{v, status, fuelUsed, stdout, stderr, files}"}</code>. Its CID (UnixFS, raw leaves, sha2-256) is the result CID each provider committed to and
          revealed; the contract compares the CIDs&apos; digests, so identical bytes are the only way to agree.
        </p>
      </div>
      <dl className="facts">
        <dt>Consensus result CID</dt>
        <dd>{job.consensusCid ? <CopyText value={job.consensusCid} shown={shortCid(job.consensusCid)} label="result CID" /> : "—"}</dd>
        <dt>Digest on chain</dt>
        <dd>{digest ? <CopyText value={digest} shown={shortCid(digest)} label="result digest" /> : "—"}</dd>
        <dt>Sealed copies</dt>
        <dd>
          {agreed.length ? (
            <ul className="hits" data-testid="sealed-copies">
              {agreed.map((r) => (
                <li key={r.provider}>
                  <CopyText value={r.sealedResultCid!} shown={shortCid(r.sealedResultCid!)} label="sealed result CID" /> from <Address value={r.provider} provider />
                </li>
              ))}
            </ul>
          ) : (
            "—"
          )}
        </dd>
      </dl>
      <div>
        <h3>How it was sealed</h3>
        <p>
          Each provider encrypted the bundle to the requester&apos;s x25519 public key from the manifest: a fresh key exchange per copy, XChaCha20-Poly1305 in 1 MiB chunks, under a header
          naming this job and the result CID. Only the requester&apos;s secret key opens it; the providers serve the sealed copy, never the plaintext.
        </p>
      </div>
      <div>
        <h3>How it is verified</h3>
        <p>
          Opening checks that the header names this job and the consensus CID, that every chunk authenticates, and that the CID of the decrypted bytes is the consensus CID again, whose
          digest is the one the contract settled on. A provider cannot pass other bytes off as the agreed result. <em>Decrypt and verify result</em> above does all of this in your browser.
        </p>
      </div>
      <div>
        <h3>Open it with the CLI</h3>
        <pre className="output" data-testid="cli-command">
          {command}
        </pre>
        <p>
          With the requester&apos;s account (<code>ACCORD_PRIVATE_KEY</code> or the config&apos;s key file), it waits for settlement, fetches a sealed copy, decrypts and checks it as above, and
          writes <code>stdout</code>, <code>stderr</code>, <code>files/</code> and <code>result.json</code> (status, exit code, fuel, CIDs). A job posted with the CLI is sealed to the key in its
          config folder&apos;s <code>result.key</code>; one posted here is sealed to a key your wallet&apos;s signature derives, so the CLI opens it with that key in the file{" "}
          <code>ACCORD_RESULT_KEY_FILE</code> names.
        </p>
        <CliResultKey jobId={job.id} requester={job.requester} />
      </div>
    </div>
  );
}

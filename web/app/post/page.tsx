"use client";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { parseUnits } from "viem";
import { useConfig, useConnection } from "wagmi";
import { Address } from "@/components/Address.tsx";
import { Amount } from "@/components/Amount.tsx";
import { Card } from "@/components/Card.tsx";
import { describedBy, Field } from "@/components/Field.tsx";
import { ErrorNotice } from "@/components/Status.tsx";
import { useApi } from "@/lib/client/api.ts";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { formatAmount, formatBytes } from "@/lib/client/format.ts";
import { checkModule, CONFIDENCE_CHOICES, escrowedReplicasOf, formOdds, INITIAL_VALUES, validateJobForm, withConfidence, withReplicasTyped, type JobFormValues, type ModuleCheck } from "@/lib/client/job-form.ts";
import { newNonce, POST_STEPS, postJob, type PostStep } from "@/lib/client/post-job.ts";
import { DryRun } from "@/components/DryRun.tsx";
import { useResultKey } from "@/lib/client/result-key.tsx";
import { useNetwork } from "@/lib/client/use-network.ts";
import { WrongNetwork } from "@/components/WrongNetwork.tsx";
import { useMounted } from "@/lib/client/use-mounted.ts";
import { DEFAULT_ADVERSARY_SHARE } from "@accord/client/trust";

type Breakdown = { fuel: string; memory: string; input: string; minPrice: string; price: string };
type Quote = { provider: string; price: string; score: number; breakdown: Breakdown };
type Estimate = { maxPrice: string; maxReplicas: number; escrow: string; fee: string; clearingPrice?: string; expectedCost: string; quotes: Quote[] };
const PAGE_BYTES = 64 * 1024;

export default function PostJobPage() {
  const app = useAppConfig();
  const wagmi = useConfig();
  const conn = useConnection();
  const mounted = useMounted();
  const keys = useResultKey();
  const router = useRouter();
  const network = useNetwork();
  // One nonce for the dry run and the post, so the job posted is the one that ran.
  const [nonce] = useState(newNonce);
  const [v, setV] = useState<JobFormValues>(INITIAL_VALUES);
  const [moduleCheck, setModuleCheck] = useState<ModuleCheck | undefined>(undefined);
  const [touched, setTouched] = useState<Partial<Record<keyof JobFormValues, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const [step, setStep] = useState<PostStep | undefined>(undefined);
  const [failure, setFailure] = useState<unknown>(undefined);

  const errors = useMemo(() => validateJobForm(v, app.tokenDecimals, moduleCheck, app), [v, app.tokenDecimals, moduleCheck, app]);
  const shown = (k: keyof JobFormValues) => (submitted || touched[k] ? errors[k] : undefined);
  const set = <K extends keyof JobFormValues>(k: K, value: JobFormValues[K]) => {
    // Replicas or quorum typed by hand are no longer what a confidence choice set (nor its cap, unless the user typed one).
    setV((prev) => (k === "replicas" || k === "quorum" ? withReplicasTyped(prev, k, value as string, !!touched.maxReplicas) : { ...prev, [k]: value }));
    setTouched((t) => ({ ...t, [k]: true }));
  };
  const text = (k: keyof JobFormValues) => ({
    ...describedBy(k, true, shown(k)),
    className: "input",
    value: v[k] as string,
    onChange: (e: { target: { value: string } }) => set(k, e.target.value as never),
  });

  const memoryPagesForCheck = Math.floor((Number(v.memoryMiB) * 1024 * 1024) / PAGE_BYTES) || 1;
  useEffect(() => {
    setModuleCheck(undefined);
    // A file the upload would refuse is not read into memory to be checked: the form says why first.
    if (!v.module || v.module.size > app.maxUploadFileBytes) return;
    let live = true;
    void checkModule(v.module, memoryPagesForCheck).then((c) => live && setModuleCheck(c));
    return () => {
      live = false;
    };
  }, [v.module, memoryPagesForCheck, app.maxUploadFileBytes]);
  useEffect(() => {
    if (v.module && !touched.args && !v.args) setV((prev) => ({ ...prev, args: prev.module!.name.replace(/\.wasm$/i, "") }));
  }, [v.module]); // eslint-disable-line react-hooks/exhaustive-deps

  const estimateOk = !errors.replicas && !errors.maxReplicas && !errors.fuel && !errors.minReputationPct && !errors.memoryMiB;
  // Providers charge for the bytes they fetch: the module, stdin and every input, as chosen here.
  const inputBytes = (v.module?.size ?? 0) + (v.stdin?.size ?? 0) + v.inputs.reduce((n, f) => n + f.size, 0);
  const memoryPages = Math.floor((Number(v.memoryMiB) * 1024 * 1024) / PAGE_BYTES);
  let maxPriceUnits: string | undefined;
  try {
    maxPriceUnits = !errors.maxPrice && v.maxPrice ? parseUnits(v.maxPrice.trim(), app.tokenDecimals).toString() : undefined;
  } catch {}
  const estimate = useApi<Estimate>(
    estimateOk
      ? `/api/estimate?replicas=${v.replicas}&maxReplicas=${escrowedReplicasOf(v) ?? v.replicas}&fuel=${v.fuel}&memoryPages=${memoryPages}&inputBytes=${inputBytes}&minReputation=${Math.round(Number(v.minReputationPct) * 100)}${maxPriceUnits ? `&maxPrice=${maxPriceUnits}` : ""}`
      : undefined,
  );

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    setFailure(undefined);
    if (Object.keys(errors).length) {
      document.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
      return;
    }
    if (!conn.address) return setFailure(new Error("Connect a wallet first: the job is posted and paid from it."));
    // Nothing is signed on another chain: the key message, permit and transaction would be for a market that is not there.
    if (network.problem) return setFailure(network.problem);
    try {
      const jobId = await postJob({ wagmi, app, account: conn.address, values: v, resultKey: () => keys.get(conn.address!), onStep: setStep, nonce });
      router.push(`/jobs/${jobId}`);
    } catch (err) {
      setFailure(err);
      setStep(undefined);
    }
  }

  const busy = step !== undefined;
  const odds = formOdds(v);
  const k = Number(v.replicas) || 0;
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Post a job</h1>
        <p className="muted small" style={{ margin: 0 }}>
          Your program runs on {v.replicas || "k"} independent providers; you pay only if {v.quorum || "m"} of them return byte-identical results.
        </p>
      </div>
      <form className="form" onSubmit={onSubmit} noValidate aria-busy={busy}>
        <fieldset className="fieldset" disabled={busy}>
          <legend>Program and data</legend>
          <Field id="module" label="WebAssembly program (.wasm)" hint="A WASI preview 1 module, e.g. built with clang --target=wasm32-wasi." error={shown("module")}>
            <input {...describedBy("module", true, shown("module"))} className="input" type="file" accept=".wasm,application/wasm" onChange={(e) => set("module", e.target.files?.[0])} />
          </Field>
          <Field id="inputs" label="Input files" hint="Mounted read-only under /input/<file name>." error={shown("inputs")}>
            <input {...describedBy("inputs", true, shown("inputs"))} className="input" type="file" multiple onChange={(e) => set("inputs", [...(e.target.files ?? [])])} />
          </Field>
          <Field id="stdin" label="Standard input (optional)" hint="A file whose bytes the program reads from stdin." error={shown("stdin")}>
            <input {...describedBy("stdin", true, shown("stdin"))} className="input" type="file" onChange={(e) => set("stdin", e.target.files?.[0])} />
          </Field>
          {(v.module || v.inputs.length > 0) && (
            <ul className="small muted wide" aria-label="Chosen files">
              {v.module && <li>program: {v.module.name} ({formatBytes(v.module.size)})</li>}
              {v.inputs.map((f) => (
                <li key={f.name}>
                  /input/{f.name} ({formatBytes(f.size)})
                </li>
              ))}
            </ul>
          )}
          <Field id="args" label="Arguments" hint="One per line; the first is the program's name (argv[0])." error={shown("args")}>
            <textarea {...describedBy("args", true, shown("args"))} className="textarea" value={v.args} onChange={(e) => set("args", e.target.value)} rows={3} />
          </Field>
          <Field id="env" label="Environment" hint="NAME=value, one per line." error={shown("env")}>
            <textarea {...describedBy("env", true, shown("env"))} className="textarea" value={v.env} onChange={(e) => set("env", e.target.value)} rows={3} />
          </Field>
        </fieldset>

        <fieldset className="fieldset" disabled={busy}>
          <legend>Limits</legend>
          <Field id="fuel" label="Fuel" hint="Instructions the program may run; providers price jobs by it." error={shown("fuel")}>
            <input {...text("fuel")} inputMode="numeric" />
          </Field>
          <Field id="memoryMiB" label="Memory (MiB)" error={shown("memoryMiB")}>
            <input {...text("memoryMiB")} inputMode="numeric" />
          </Field>
          <Field id="wallClockS" label="Wall-clock backstop (s)" hint="Fuel decides the result; this only stops a stuck machine." error={shown("wallClockS")}>
            <input {...text("wallClockS")} inputMode="numeric" />
          </Field>
        </fieldset>

        <fieldset className="fieldset" disabled={busy}>
          <legend>Replication and price</legend>
          <Field id="confidence" label="Confidence" hint={`That the accepted result is right, against colluders holding ${DEFAULT_ADVERSARY_SHARE * 100} % of the providers' stake; a choice fills in the replicas, quorum and escalation cap.`}>
            <select {...describedBy("confidence", true, undefined)} className="select" value={v.confidence} onChange={(e) => setV((prev) => withConfidence(prev, e.target.value, !!touched.maxReplicas))}>
              {CONFIDENCE_CHOICES.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </Field>
          <Field id="replicas" label="Replicas" hint="Independent runs, 1 to 16." error={shown("replicas")}>
            <input {...text("replicas")} inputMode="numeric" />
          </Field>
          <Field id="quorum" label="Quorum" hint={`Identical results needed: more than half of the replicas.`} error={shown("quorum")}>
            <input {...text("quorum")} inputMode="numeric" />
          </Field>
          <Field
            id="maxReplicas"
            label="Most replicas if results disagree"
            hint={`When the reveals leave no quorum, the job draws fresh providers up to this many in all (${k || "k"} to 16) and slashes the dissenters, instead of ending without a result; empty: ${k || "k"}, no escalation. The escrow covers them; what no round uses is refunded.`}
            error={shown("maxReplicas")}
          >
            <input {...text("maxReplicas")} inputMode="numeric" placeholder={`${k || "k"} (no escalation)`} />
          </Field>
          <Field id="maxPrice" label={`Maximum price per replica (${app.tokenSymbol})`} hint="Providers bid at or below it; each winner is paid its own bid." error={shown("maxPrice")}>
            <input {...text("maxPrice")} inputMode="decimal" placeholder="e.g. 2.5" />
          </Field>
          <Field id="minReputationPct" label="Minimum provider reputation (%)" hint="50 % is a newcomer; 0 accepts anyone." error={shown("minReputationPct")}>
            <input {...text("minReputationPct")} inputMode="decimal" />
          </Field>
          <div className="wide" aria-live="polite">
            <CostEstimate priced={maxPriceUnits !== undefined} estimate={estimate.data} loading={estimate.isFetching} error={estimate.error} replicas={k} onUse={(p) => set("maxPrice", formatAmount(p, app.tokenDecimals).replace(/,/g, ""))} />
            {odds && <TrustOdds odds={odds} replicas={k} cap={escrowedReplicasOf(v) ?? k} />}
          </div>
        </fieldset>

        <fieldset className="fieldset" disabled={busy}>
          <legend>Windows</legend>
          <Field id="bidWindowS" label="Bid window (s)" hint={`0 awards as soon as ${k || "k"} bids are in (waiting at most ${app.fillTimeout} s).`} error={shown("bidWindowS")}>
            <input {...text("bidWindowS")} inputMode="numeric" />
          </Field>
          <Field id="commitWindowS" label="Commit window (s)" hint="Time winners have to run the job and commit." error={shown("commitWindowS")}>
            <input {...text("commitWindowS")} inputMode="numeric" />
          </Field>
          <Field id="revealWindowS" label="Reveal window (s)" hint="Time committers have to reveal." error={shown("revealWindowS")}>
            <input {...text("revealWindowS")} inputMode="numeric" />
          </Field>
        </fieldset>

        <DryRun values={v} account={mounted ? conn.address : undefined} keys={keys} nonce={nonce} ready={!!moduleCheck?.ok && !errors.args && !errors.env && !errors.inputs && !errors.fuel && !errors.memoryMiB && !errors.wallClockS} />
        {failure !== undefined && <ErrorNotice error={failure} title="The job was not posted" />}
        {submitted && Object.keys(errors).length > 0 && (
          <p className="error-text" role="alert">
            {Object.keys(errors).length} field{Object.keys(errors).length > 1 ? "s need" : " needs"} attention; see the messages beside them.
          </p>
        )}
        {busy && (
          <Card title="Posting">
            <ol className="timeline" aria-live="polite">
              {POST_STEPS.map((s, i) => {
                const at = POST_STEPS.findIndex((x) => x.step === step);
                const cls = i < at ? "done" : i === at ? "current" : "";
                return (
                  <li key={s.step} className={cls}>
                    <span className="dot" aria-hidden="true">{i < at ? "✓" : i + 1}</span>
                    <span className="title">
                      {s.label}
                      {i === at && <span className="visually-hidden"> (in progress)</span>}
                    </span>
                  </li>
                );
              })}
            </ol>
          </Card>
        )}
        {mounted && <WrongNetwork doing="Posting" />}
        <div className="row">
          <button type="submit" className="button" disabled={busy || (mounted && network.wrong)} data-testid="post-submit">
            {busy ? "Posting…" : mounted && conn.isConnected ? "Post job and pay escrow" : "Post job"}
          </button>
          {mounted && !conn.isConnected && <span className="small muted">Connect a wallet (top right) to sign the job.</span>}
        </div>
      </form>
    </div>
  );
}

function CostEstimate({ priced, estimate, loading, error, replicas, onUse }: { priced: boolean; estimate?: Estimate; loading: boolean; error: unknown; replicas: number; onUse: (price: string) => void }) {
  if (error) return <ErrorNotice error={error} title="No cost estimate" />;
  if (!estimate) return <p className="small muted">{loading ? "Estimating…" : "Fill in replicas and fuel to see a cost estimate."}</p>;
  const enough = estimate.clearingPrice !== undefined;
  const named = enough ? estimate.quotes.slice(0, replicas) : estimate.quotes;
  return (
    <div className="notice info small" data-testid="estimate">
      {priced ? (
        <p data-testid="escrow">
          <strong>Escrow:</strong> <Amount value={estimate.escrow} /> for {estimate.maxReplicas} replica{estimate.maxReplicas === 1 ? "" : "s"} (including a protocol fee of <Amount value={estimate.fee} />). Likely cost:{" "}
          <Amount value={estimate.expectedCost} />; the rest is refunded.
          {estimate.maxReplicas > replicas && (
            <span data-testid="escrow-escalation">
              {" "}
              The {estimate.maxReplicas - replicas} replica{estimate.maxReplicas - replicas === 1 ? "" : "s"} beyond the first {replicas} {estimate.maxReplicas - replicas === 1 ? "is" : "are"} paid only if the reveals disagree and the job escalates, and what {estimate.maxReplicas - replicas === 1 ? "it costs" : "they cost"}{" "}
              is repaid to you from the collateral slashed, up to what was slashed; the part of the escrow no round used is refunded at settlement.
            </span>
          )}
        </p>
      ) : (
        <p data-testid="escrow">
          <strong>Escrow:</strong> set the maximum price (or use the suggested one below) to see what the job locks.
        </p>
      )}
      <p>
        {estimate.quotes.length} eligible provider{estimate.quotes.length === 1 ? "" : "s"} quote{estimate.quotes.length === 1 ? "s" : ""} this job, each as its node prices it: fuel at its ask, plus memory and
        the bytes it fetches.{" "}
        {enough ? (
          <>
            These {replicas} bid at <Amount value={estimate.clearingPrice} /> or less:
          </>
        ) : (
          <>Fewer than {replicas} providers are eligible: the job may expire unfilled.</>
        )}
      </p>
      <ul className="quotes" aria-label="Providers that will bid" data-testid="estimate-providers">
        {named.map((q) => (
          <li key={q.provider} data-provider={q.provider}>
            <Address value={q.provider} provider /> asks <Amount value={q.price} />{" "}
            <span className="muted">
              (fuel <Amount value={q.breakdown.fuel} symbol={false} /> + memory <Amount value={q.breakdown.memory} symbol={false} /> + input <Amount value={q.breakdown.input} symbol={false} />)
            </span>
          </li>
        ))}
      </ul>
      {enough && (
        <p>
          <button type="button" className="button secondary" onClick={() => onUse(estimate.clearingPrice!)}>
            Use this price
          </button>{" "}
          <span className="muted">Each winner is paid its own bid; memory and input rates are the providers' defaults, which an operator can raise.</span>
        </p>
      )}
    </div>
  );
}

/** What the replicas and quorum buy against colluders, beside what they cost (docs/PROTOCOL.md, "Confidence"). */
function TrustOdds({ odds, replicas, cap }: { odds: NonNullable<ReturnType<typeof formOdds>>; replicas: number; cap: number }) {
  const pct = (p: number) => `${Number((p * 100).toPrecision(3))} %`;
  return (
    <p className="small" data-testid="trust-odds">
      <strong>Against colluders holding {pct(odds.adversaryShare)} of the stake:</strong> a wrong result is accepted with probability {odds.pWrong.toExponential(1)};{" "}
      {cap > replicas ? (
        <>
          a dissent that leaves no quorum ({pct(odds.pNoConsensus)} of the time) draws fresh providers, up to {cap} replicas in all, and slashes the dissenters.
        </>
      ) : (
        <>the job ends without a result {pct(odds.pNoConsensus)} of the time (a dissent that leaves no quorum refunds the escrow; allow more replicas to escalate instead).</>
      )}
    </p>
  );
}

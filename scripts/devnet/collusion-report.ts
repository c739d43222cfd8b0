// What the collusion demo prints: a line per job as it ends, then the coalition's books.
import { formatUnits, type Address } from "viem";
import { totalOf, type CollusionDemoResult, type DemoJob, type DemoProvider, type Holdings, type TokenUnits as Units } from "./collusion.ts";

function amount(v: bigint, u: Units): string {
  const [whole, fraction] = formatUnits(v < 0n ? -v : v, u.decimals).split(".");
  return `${v < 0n ? "-" : ""}${BigInt(whole!).toLocaleString("en")}${fraction ? `.${fraction}` : ""} ${u.symbol}`;
}
const signed = (v: bigint, u: Units) => `${v > 0n ? "+" : ""}${amount(v, u)}`;

function who(address: Address, providers: readonly DemoProvider[]): string {
  const p = providers.find((x) => x.address.toLowerCase() === address.toLowerCase());
  return p ? `#${p.index}${p.colluding ? " (colluder)" : ""}` : address;
}

/** One job's ending: what was accepted and whether it is the dry run's, the rounds, who lost collateral, what the requester got back. */
export function describeJob(job: DemoJob, providers: readonly DemoProvider[], u: Units): string[] {
  const verdict =
    job.state === "Succeeded"
      ? job.correct
        ? "the honest result accepted (the same as the local dry run)"
        : `a WRONG result accepted (digest ${job.acceptedDigest}, the dry run gives ${job.expectedCid})`
      : job.state === "NoConsensus"
        ? `NoConsensus at the cap of ${job.replicas} replicas: no result accepted`
        : `${job.state}: no result accepted`;
  const rounds = job.escalations === 0 ? "settled in its first round" : `escalated ${job.escalations === 1 ? "once" : `${job.escalations} times`}, ${job.replicas} replicas in all`;
  const slashed = job.outcomes.filter((o) => o.slashed > 0n);
  const lines = [
    `job #${job.jobId}: ${verdict}; ${rounds}`,
    `    slashed: ${slashed.length ? slashed.map((o) => `${who(o.provider, providers)} ${o.outcome} ${amount(o.slashed, u)}`).join(", ") : "nobody"}`,
    `    requester: escrowed ${amount(job.escrow, u)}, paid ${amount(job.paid, u)} + fee ${amount(job.fee, u)}, got back ${amount(job.refunded + job.restitution, u)}` +
      (job.restitution > 0n ? ` (${amount(job.restitution, u)} of it restitution out of slashed collateral)` : ""),
  ];
  if (job.stdout !== undefined) lines.push(`    result: ${JSON.stringify(job.stdout.trimEnd())}`);
  if (job.fetchError !== undefined) lines.push(`    result: not fetched (${job.fetchError})`);
  return lines;
}

function book(label: string, before: Holdings, after: Holdings, u: Units): string[] {
  const row = (name: string, b: bigint, a: bigint) => `    ${name.padEnd(22)}${amount(b, u).padStart(22)}${amount(a, u).padStart(22)}${signed(a - b, u).padStart(18)}`;
  return [
    `  ${label}`,
    `    ${"".padEnd(22)}${"before".padStart(22)}${"after".padStart(22)}${"change".padStart(18)}`,
    row("stake", before.stake, after.stake),
    row("credited in the market", before.withdrawable, after.withdrawable),
    row("wallet", before.wallet, after.wallet),
    row("all together", totalOf(before), totalOf(after)),
  ];
}

/** The coalition's and the honest providers' tokens before and after, and the verdict on the jobs. */
export function describeOutcome(r: CollusionDemoResult, providers: readonly DemoProvider[]): string[] {
  const u = { decimals: r.decimals, symbol: r.symbol };
  const colluders = providers.filter((p) => p.colluding).map((p) => `#${p.index}`);
  const wrong = r.jobs.filter((j) => j.correct === false).length;
  const failed = r.jobs.filter((j) => j.state !== "Succeeded").length;
  const net = totalOf(r.colluders.after) - totalOf(r.colluders.before);
  const drawn = r.jobs.filter((j) => j.outcomes.some((o) => providers.find((p) => p.colluding && p.address.toLowerCase() === o.provider.toLowerCase()))).length;
  return [
    `Colluders ${colluders.join(", ")} (${colluders.length} of ${providers.length} providers, equal stakes), over ${r.jobs.length} unanimous ${r.plan.replicas}-replica jobs allowing ${r.plan.maxReplicas}:`,
    `  wrong results accepted: ${wrong}; jobs without a result: ${failed}; jobs where a colluder was drawn: ${drawn}`,
    `  the coalition's net gain: ${signed(net, u)}${net < 0n ? " (it lost)" : net === 0n ? " (never drawn: nothing at stake this time)" : " (IT GAINED)"}`,
    ...book("colluders together", r.colluders.before, r.colluders.after, u),
    ...book("honest providers together", r.honest.before, r.honest.after, u),
  ];
}

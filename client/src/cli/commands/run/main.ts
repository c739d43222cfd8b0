import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { getTokenInfo, parseAmount } from "../../../actions/internal/token.ts";
import { writeResultFiles } from "../../../actions/internal/writeResult.ts";
import { TasksFailedError } from "../../../tasks/errors.ts";
import { estimateTasks } from "../../../tasks/price.ts";
import { runTasks, type RunTasksProgress } from "../../../tasks/run.ts";
import { loadTaskSpec } from "../../../tasks/spec.ts";
import type { RunState } from "../../../tasks/state.ts";
import { accountLock, accountLockDir } from "../../accountLock.ts";
import { CliConfigError } from "../../errors.ts";
import { positiveInt } from "../../jobSpec.ts";
import { planLine } from "../../replicasFlags.ts";
import { fmtTokens } from "../../output.ts";
import type { CommandContext } from "../context.ts";
import { RunDisplay } from "./display.ts";

type RunFlags = { out: string; state?: string; yes?: boolean; maxPrice?: string; maxActive: string; payment: string };

/** The default state file: beside the output folder, named after it. */
export const defaultStateFile = (out: string) => join(dirname(resolve(out)), `${basename(resolve(out))}.accord-run.json`);

/** `accord run <spec>` */
export default async function runCommand(ctx: CommandContext, specFile: string, o: RunFlags): Promise<void> {
  // The whole spec is checked before any connection or payment.
  const bag = await loadTaskSpec(specFile);
  if (!["auto", "permit", "approve"].includes(o.payment)) throw new CliConfigError(`--payment "${o.payment}" is not auto, permit or approve.`, "Pass --payment auto (the default).");
  const maxActive = positiveInt(o.maxActive, "--max-active")!;
  const stateFile = resolve(o.state ?? defaultStateFile(o.out));
  const previous = await readPrevious(stateFile);
  const left = bag.tasks.filter((t) => !["done", "failed"].includes(previous?.tasks[t.name]?.status ?? "")).length;
  ctx.out.step(`${bag.tasks.length} task(s) in ${specFile}${previous ? `; resuming from ${stateFile} (${bag.tasks.length - left} already finished)` : ""}`);
  if (bag.trustPlan) ctx.out.step(planLine(bag.trustPlan, bag.offer.maxReplicas));

  const client = await ctx.client({ withNode: true, withKey: true });
  const token = await getTokenInfo(client);
  const amt = (u: bigint) => fmtTokens(u, token.decimals, token.symbol);
  const optionMaxPrice = o.maxPrice !== undefined ? parseAmount(o.maxPrice, token.decimals) : undefined;
  const est = await estimateTasks(client, bag, { tasks: left, stateMaxPrice: previous?.maxPrice, optionMaxPrice, signal: ctx.signal });
  const k = bag.offer.replicas;
  ctx.out.step(
    [
      `  ${left} task(s) to run × ${k} replica(s), at most ${amt(est.maxPrice)} per replica (${est.source === "estimate" ? "twice the clearing price of the on-chain asks" : `from the ${est.source}`});`,
      ...(est.maxReplicas > k ? [`  a task whose reveals disagree escalates to fresh providers, up to ${est.maxReplicas} replica(s) in all (its escrow covers them)`] : []),
      `  ${est.providersUnderPrice} provider(s) ask no more than that`,
      `  expected cost ${amt(est.expectedTotal)}; escrow ${amt(est.escrowPerTask)} a task while it runs (up to ${amt(est.escrowPerTask * BigInt(Math.min(maxActive, Math.max(left, 1))))} at once), the unspent part refunded`,
      `  at most ${amt(est.worstCaseTotal)} if every task took all ${bag.maxAttempts} attempt(s) at the max price`,
    ].join("\n"),
  );
  if (left > 0 && !o.yes) await confirm(ctx, `Pay up to ${amt(est.worstCaseTotal)} for ${left} task(s)?`);

  const display = new RunDisplay(ctx.out, token);
  const failed: string[] = [];
  let verified = 0;
  let last: RunTasksProgress | undefined;
  const out = resolve(o.out);
  let pageShown = false;
  const items = runTasks(client, bag, {
    state: stateFile,
    maxPrice: optionMaxPrice,
    maxActive,
    payment: o.payment as "auto",
    // Other accord processes posting from this key wait their turn (permit and account nonces).
    exclusive: client.account ? accountLock(accountLockDir(), client.chain.id, client.account.address, { signal: ctx.signal }) : undefined,
    signal: ctx.signal,
    onEvent: (ev) => {
      display.event(ev);
      if (!pageShown && (ev.type === "posted" || ev.type === "resumed")) pageShown = showRunPage(ctx, stateFile);
    },
    onProgress: (p) => display.progress((last = p)),
  });
  try {
    for await (const item of items) {
      if (!item.ok) {
        failed.push(item.task);
        continue;
      }
      await writeResultFiles(item, join(out, item.task), { task: item.task, attempt: item.attempt, jobId: item.jobId, resultCid: item.resultCid, provider: item.provider, manifestCid: item.manifestCid, paid: item.paid, refunded: item.refunded });
      verified++;
    }
  } catch (err) {
    if (last) display.finish(last);
    if (ctx.signal.aborted) ctx.out.step(`interrupted: the run is recorded in ${stateFile}; run the same command again to resume (posted tasks are followed, none is posted twice)`);
    throw err;
  }
  if (last) display.finish(last);

  const state = (await readPrevious(stateFile))!;
  const report = reportOf(state, bag.tasks.map((t) => t.name));
  for (const r of report.reposted) ctx.out.step(`↻ ${r.task} took ${r.attempts.length} attempts: ${r.attempts.filter((a) => a.reason).map((a) => `#${a.n} ${a.reason}`).join(" | ")}`);
  for (const r of report.failed) ctx.out.step(`✗ ${r.task}: ${r.attempts.map((a) => `#${a.n} ${a.reason ?? a.status}`).join(" | ")}`);
  const spent = report.all.reduce((s, r) => s + r.attempts.reduce((x, a) => x + BigInt(a.paid ?? "0") + BigInt(a.fee ?? "0"), 0n), 0n);
  ctx.out.result(
    { out, state: stateFile, tasks: bag.tasks.length, done: report.done, verifiedNow: verified, failed: report.failed, reposted: report.reposted, spent },
    `${report.done} of ${bag.tasks.length} task(s) verified, results in ${out}; ${report.reposted.length} re-posted, ${report.failed.length} failed; spent ${amt(spent)} (\`accord withdraw\` collects refunds)`,
  );
  if (failed.length || report.failed.length) throw new TasksFailedError(report.failed.map((r) => r.task), bag.tasks.length, stateFile);
}

/**
 * With ACCORD_WEB_URL set (the web app's address), says where the run's grid is: its id is in the
 * state file once the first post or the resume has written it. True once it has been said.
 */
function showRunPage(ctx: CommandContext, stateFile: string): boolean {
  const web = process.env.ACCORD_WEB_URL;
  if (!web) return true;
  let runId: string | undefined;
  try {
    // Read at once: a run with nothing left to do ends before an asynchronous read would print.
    runId = (JSON.parse(readFileSync(stateFile, "utf8")) as RunState).runId;
  } catch {
    return false; // not written yet: said at the next post
  }
  ctx.out.step(`follow the run in the web app: ${web.replace(/\/+$/, "")}/runs/${runId}`);
  return true;
}

async function readPrevious(file: string): Promise<RunState | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as RunState;
  } catch {
    return undefined;
  }
}

function reportOf(state: RunState, names: string[]) {
  const all = names.map((task) => ({ task, ...state.tasks[task]! }));
  return {
    all,
    done: all.filter((r) => r.status === "done").length,
    reposted: all.filter((r) => r.attempts.length > 1),
    failed: all.filter((r) => r.status === "failed"),
  };
}

async function confirm(ctx: CommandContext, question: string): Promise<void> {
  if (!process.stdin.isTTY)
    throw new CliConfigError("accord run asks before paying, but stdin is not a terminal.", "Pass --yes to pay without being asked (for scripts), after checking the estimate above.");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: ctx.signal });
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliConfigError("Not confirmed: nothing was posted or paid.", "Run again and answer y, or pass --yes.");
  } finally {
    rl.close();
  }
}

import type { Command } from "commander";
import { cancelJob } from "../../actions/cancelJob.ts";
import { claim } from "../../actions/claim.ts";
import { dryRun } from "../../actions/dryRun.ts";
import { estimateCost } from "../../actions/estimateCost.ts";
import { getJob } from "../../actions/getJob.ts";
import { activeBids } from "../../chain/jobHistory.ts";
import { getTokenInfo, parseAmount } from "../../actions/internal/token.ts";
import { writeResultFiles } from "../../actions/internal/writeResult.ts";
import { listJobs } from "../../actions/listJobs.ts";
import { submitJob, type SubmitJobParameters } from "../../actions/submitJob.ts";
import { waitForResult, type WaitForResultReturnType } from "../../actions/waitForResult.ts";
import { watchJob } from "../../actions/watchJob.ts";
import { InvalidJobParametersError } from "../../actions/errors.ts";
import type { AccordClient } from "../../client.ts";
import { CliConfigError, loadOrCreateResultKey, resolveConfig } from "../config.ts";
import { DEFAULT_LIMITS } from "../../sandbox/constants.ts";
import { jobSpecFromFlags, positiveInt, type JobSpecFlags } from "../jobSpec.ts";
import { fmtBytes, fmtSpeed, fmtTime, fmtTokens, short, type Output } from "../output.ts";
import { renderEvent } from "../progress.ts";
import type { CommandContext } from "./context.ts";

type Run = (ctxFlags: Record<string, unknown>, ...args: unknown[]) => Promise<void>;
export type Register = (cmd: Command, run: (handler: (ctx: CommandContext, ...args: any[]) => Promise<void>) => Run) => void;

const collect = (v: string, prev: string[] = []) => [...prev, v];

function jobSpecOptions(cmd: Command): Command {
  return cmd
    .argument("<module>", "the WebAssembly module (.wasm, WASI preview 1)")
    .argument("[args...]", "arguments passed to the program (after --)")
    .option("-i, --input <file>", "mount a file under /input (name=path to rename it); repeatable", collect)
    .option("--stdin <file>", "feed this file to the program's stdin")
    .option("-e, --env <NAME=value>", "set an environment variable; repeatable", collect)
    .option("--fuel <units>", "fuel limit (instructions, roughly)")
    .option("--memory-pages <n>", "memory limit in 64 KiB pages")
    .option("--wall-clock-ms <ms>", "wall-clock backstop per run")
    .option("--nonce <text>", "vary the job's randomness seed without changing the job");
}

function parseId(text: string): bigint {
  if (!/^\d+$/.test(text)) throw new CliConfigError(`"${text}" is not a job id.`, "Pass the decimal job id `accord job submit` printed (`accord job list` shows yours).");
  return BigInt(text);
}

function printResult(out: Output, r: WaitForResultReturnType, dir: string | undefined, written: string[]) {
  const status = r.status.kind === "exit" ? `exit status ${r.status.code}` : r.status.kind === "trap" ? `trapped: ${r.status.trap}` : `stopped at the ${r.status.limit} limit`;
  out.step(`✓ result ${r.resultCid} from ${short(r.provider)} matches the on-chain consensus`);
  if (dir) out.step(`✓ result written to ${dir} (stdout ${fmtBytes(r.stdout.length)}, stderr ${fmtBytes(r.stderr.length)}, ${Object.keys(r.files).length} file(s))`);
  out.result(
    { jobId: r.jobId, state: r.state, resultCid: r.resultCid, provider: r.provider, status: r.status, exitCode: r.exitCode ?? null, fuelUsed: r.fuelUsed, paid: r.paid, refunded: r.refunded, outDir: dir ?? null, files: written, stdout: r.stdout, stderr: r.stderr },
    dir ? `${status}, fuel ${r.fuelUsed}` : `${new TextDecoder().decode(r.stdout)}${status}, fuel ${r.fuelUsed}`,
  );
}

async function awaitAndWrite(ctx: CommandContext, client: AccordClient, jobId: bigint, fromBlock: bigint | undefined, outDir: string | undefined, timeoutS: number | undefined) {
  const token = await getTokenInfo(client);
  const result = await waitForResult(client, {
    jobId,
    fromBlock,
    signal: ctx.signal,
    timeoutMs: timeoutS !== undefined ? timeoutS * 1000 : undefined,
    onEvent: (ev) => ev.type !== "posted" && renderEvent(ctx.out, ev, token),
    onFetch: (f) => f.outcome === "failed" && ctx.out.step(`✗ result from ${short(f.provider)} refused: ${f.error}`),
  });
  const written = outDir ? await writeResultFiles(result, outDir, { jobId: result.jobId, resultCid: result.resultCid, provider: result.provider, manifestCid: result.job.manifestCid }) : [];
  printResult(ctx.out, result, outDir, written);
}

export const registerJob: Register = (program, run) => {
  const job = program.command("job").description("post jobs, follow them and fetch their verified results");

  jobSpecOptions(job.command("submit"))
    .description("upload a module and inputs, post the job, follow it live and write the verified result")
    .option("-r, --replicas <k>", "independent runs (1..16)", "1")
    .option("-q, --quorum <m>", "identical results needed (default: a majority of the replicas)")
    .option("-p, --max-price <tokens>", "most paid per replica, in tokens (0.5 = half a token); default: twice the clearing price of the providers' on-chain asks")
    .option("--min-reputation <bps>", "lowest provider reputation, basis points", "0")
    .option("--bid-window <s>", "seconds of bidding; 0 awards as soon as enough bids are in", "0")
    .option("--commit-window <s>", "seconds the winners have to commit")
    .option("--reveal-window <s>", "seconds the committers have to reveal")
    .option("--payment <how>", "escrow by auto | permit | approve", "auto")
    .option("-o, --out <dir>", "where to write the result", "./out")
    .option("--no-wait", "return once the job is posted (then run `accord job result <id>`, which also keeps serving the job's content)")
    .option("--timeout <s>", "give up waiting after this many seconds (the job goes on)")
    .action(
      run(async (ctx, module: string, args: string[], o: JobSpecFlags & Record<string, any>) => {
        const spec = await jobSpecFromFlags(module, args, o);
        if (!["auto", "permit", "approve"].includes(o.payment)) throw new CliConfigError(`--payment "${o.payment}" is not auto, permit or approve.`, "Pass --payment auto (the default).");
        const client = await ctx.client({ withNode: true, withKey: true });
        const token = await getTokenInfo(client);
        const replicas = positiveInt(o.replicas, "--replicas")!;
        let maxPrice: bigint;
        if (o.maxPrice !== undefined) maxPrice = parseAmount(o.maxPrice, token.decimals);
        else {
          const est = await estimateCost(client, { replicas, fuel: spec.limits?.fuel ?? DEFAULT_LIMITS.fuel, minReputation: positiveInt(o.minReputation, "--min-reputation"), signal: ctx.signal });
          if (est.clearingPrice === undefined)
            throw new InvalidJobParametersError("maxPrice", `only ${est.quotes.length} eligible provider(s) are registered for ${replicas} replica(s), so no price can be suggested`, "Pass --max-price, or ask for fewer replicas.");
          maxPrice = est.maxPrice;
          ctx.out.step(
            `  max price ${fmtTokens(maxPrice, token.decimals, token.symbol)} per replica (twice the clearing price of the on-chain asks, ${fmtTokens(est.clearingPrice, token.decimals, token.symbol)}: providers also charge for memory and input, and winners are paid their own bids)`,
          );
        }
        const params: SubmitJobParameters = {
          ...spec,
          replicas,
          quorum: positiveInt(o.quorum, "--quorum"),
          maxPrice,
          minReputation: positiveInt(o.minReputation, "--min-reputation"),
          bidWindow: positiveInt(o.bidWindow, "--bid-window"),
          commitWindow: positiveInt(o.commitWindow, "--commit-window"),
          revealWindow: positiveInt(o.revealWindow, "--reveal-window"),
          payment: o.payment,
          signal: ctx.signal,
          onProgress: (p) => {
            if (p.step === "upload") ctx.out.step(`✓ uploaded ${p.name === "module" ? `module ${module}` : p.name}: ${fmtBytes(p.bytes)} in ${p.ms.toFixed(0)} ms (${fmtSpeed(p.bytes, p.ms)})`);
            if (p.step === "manifest") ctx.out.step(`✓ manifest ${p.manifestCid} (${fmtBytes(p.bytes)})`);
            if (p.step === "escrow") ctx.out.step(`  escrow ${fmtTokens(p.escrow, p.decimals, p.symbol)} by ${p.payment}`);
            if (p.step === "approve") ctx.out.step(`✓ approved (tx ${p.transactionHash})`);
            if (p.step === "posted") ctx.out.step(`✓ posted job ${p.jobId} in block ${p.blockNumber} (tx ${p.transactionHash})`);
          },
        };
        const posted = await submitJob(client, params);
        if (!o.wait) {
          ctx.out.result({ jobId: posted.jobId, manifestCid: posted.manifestCid.toString(), transactionHash: posted.transactionHash, escrow: posted.escrow }, `${posted.jobId}`);
          return;
        }
        await awaitAndWrite(ctx, client, posted.jobId, posted.blockNumber, o.out, positiveInt(o.timeout, "--timeout"));
      }),
    );

  job
    .command("result")
    .description("wait for a job to settle, then fetch, decrypt and verify its result")
    .argument("<jobId>", "the job id")
    .option("-o, --out <dir>", "where to write the result", "./out")
    .option("--timeout <s>", "give up waiting after this many seconds")
    .action(
      run(async (ctx, id: string, o: { out: string; timeout?: string }) => {
        const client = await ctx.client({ withNode: true, withKey: true });
        await awaitAndWrite(ctx, client, parseId(id), undefined, o.out, positiveInt(o.timeout, "--timeout"));
      }),
    );

  job
    .command("status")
    .description("show a job's state and history (from its events)")
    .argument("<jobId>", "the job id")
    .option("-w, --watch", "follow the job until it settles")
    .action(
      run(async (ctx, id: string, o: { watch?: boolean }) => {
        const client = await ctx.client();
        const jobId = parseId(id);
        const token = await getTokenInfo(client);
        if (o.watch) for await (const ev of watchJob(client, { jobId, signal: ctx.signal })) renderEvent(ctx.out, ev, token);
        const j = await getJob(client, { jobId, signal: ctx.signal });
        const amt = (u: bigint) => fmtTokens(u, token.decimals, token.symbol);
        const lines = [
          `job ${j.jobId}  ${j.state}`,
          `  requester  ${j.requester}`,
          `  manifest   ${j.manifestCid}`,
          `  replicas   ${j.replicas} (quorum ${j.quorum}), max ${amt(j.maxPrice)} each, escrow ${amt(j.escrow)}`,
          `  bids       ${activeBids(j).length}/${j.replicas}${j.deadline !== undefined ? `, phase deadline ${fmtTime(j.deadline)}` : ""}`,
          `  commits    ${j.committed.length}/${j.winners}   reveals ${j.reveals.length}/${j.committed.length}`,
          ...j.reveals.map((r) => `    ${r.provider} → ${r.resultCid}`),
          ...(j.settlement ? [`  settled    paid ${amt(j.settlement.paid)}, fee ${amt(j.settlement.fee)}, refunded ${amt(j.settlement.refunded + j.settlement.slashed)}`] : []),
        ];
        ctx.out.result(j, lines.join("\n"));
      }),
    );

  job
    .command("list")
    .description("list your jobs (or everyone's), newest first")
    .option("-a, --all", "every requester's jobs")
    .option("-n, --limit <n>", "at most this many", "20")
    .action(
      run(async (ctx, o: { all?: boolean; limit: string }) => {
        const client = await ctx.client();
        const token = await getTokenInfo(client);
        const jobs = await listJobs(client, { requester: o.all ? null : undefined, limit: positiveInt(o.limit, "--limit"), signal: ctx.signal });
        const rows = jobs.map((j) => `${String(j.jobId).padEnd(14)} ${j.state.padEnd(11)} ${j.quorum}/${j.replicas}  ${fmtTokens(j.maxPrice, token.decimals, token.symbol).padEnd(14)} ${j.manifestCid}`);
        ctx.out.result(jobs, jobs.length ? [`${"JOB".padEnd(14)} ${"STATE".padEnd(11)} M/K  ${"MAX PRICE".padEnd(14)} MANIFEST`, ...rows].join("\n") : "no jobs");
      }),
    );

  job
    .command("cancel")
    .description("cancel an open job (before it is awarded); its escrow is credited back")
    .argument("<jobId>", "the job id")
    .action(
      run(async (ctx, id: string) => {
        const client = await ctx.client();
        const token = await getTokenInfo(client);
        const r = await cancelJob(client, { jobId: parseId(id), signal: ctx.signal });
        ctx.out.result({ jobId: id, ...r }, `✓ cancelled job ${id}; ${fmtTokens(r.refunded, token.decimals, token.symbol)} credited (tx ${r.transactionHash}); \`accord withdraw\` sends it`);
      }),
    );

  job
    .command("claim")
    .description("push a job whose deadline passed to its next state (refunds a stuck job)")
    .argument("<jobId>", "the job id")
    .action(
      run(async (ctx, id: string) => {
        const client = await ctx.client();
        const r = await claim(client, { jobId: parseId(id), signal: ctx.signal });
        ctx.out.result({ jobId: id, ...r }, `✓ claimed job ${id}${r.settledState ? `: ${r.settledState}` : ""} (tx ${r.transactionHash})`);
      }),
    );

  jobSpecOptions(job.command("dry-run"))
    .description("run the job in the local sandbox: its fuel and result CID, before paying anyone")
    .option("-o, --out <dir>", "also write the result here")
    .action(
      run(async (ctx, module: string, args: string[], o: JobSpecFlags & { out?: string }) => {
        const spec = await jobSpecFromFlags(module, args, o);
        // The same result key as a submit, so the manifest CID (and seed) is the one that would be posted.
        const resultKey = loadOrCreateResultKey(resolveConfig(ctx.flags).resultKeyFile);
        const r = await dryRun({ resultKey }, { ...spec, signal: ctx.signal });
        const written = o.out ? await writeResultFiles(r, o.out, { manifestCid: r.manifestCid.toString(), resultCid: r.resultCid.toString(), dryRun: true }) : [];
        const status = r.status.kind === "exit" ? `exit status ${r.status.code}` : r.status.kind === "trap" ? `trapped: ${r.status.trap}` : `stopped at the ${r.status.limit} limit`;
        ctx.out.step(`✓ ran locally in ${r.wallMs.toFixed(0)} ms: ${status}, fuel ${r.fuelUsed} of ${r.manifest.limits.fuel}`);
        ctx.out.step(`  manifest ${r.manifestCid}`);
        ctx.out.step(`  result   ${r.resultCid} (honest providers will commit to this)`);
        ctx.out.result(
          { manifestCid: r.manifestCid.toString(), resultCid: r.resultCid.toString(), status: r.status, exitCode: r.exitCode ?? null, fuelUsed: r.fuelUsed, wallMs: r.wallMs, stdout: r.stdout, stderr: r.stderr, files: written },
          o.out ? `result written to ${o.out}` : new TextDecoder().decode(r.stdout),
        );
      }),
    );
};

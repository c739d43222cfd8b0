import type { Command } from "commander";
import type { Register } from "./context.ts";

// Only the commands' flags and help live here; each command's code is in job/<command>.ts,
// loaded when that command runs (`accord --help` loads none of it).

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

export const registerJob: Register = (program, run) => {
  const job = program.command("job").description("post jobs, follow them and fetch their verified results");

  jobSpecOptions(job.command("submit"))
    .description("upload a module and inputs, post the job, follow it live and write the verified result")
    .option("--confidence <p>", "the chance the accepted result is right (0.9999 or 99.99%): the cheapest replicas and quorum that give it are used, shown with their odds and cost before paying")
    .option("--adversary-share <f>", "with --confidence: the colluders' share of the providers' stake to guard against (default 0.1)")
    .option("-r, --replicas <k>", "independent runs (1..16; default 1), for experts: not with --confidence")
    .option("-q, --quorum <m>", "identical results needed (default: a majority of the replicas), for experts: not with --confidence")
    .option("--max-replicas <n>", "most replicas in all when the reveals disagree: the job escalates to fresh providers up to this many instead of ending without consensus (k..16; default k, no escalation); escrowed up front, the unused part refunded")
    .option("-p, --max-price <tokens>", "most paid per replica, in tokens (0.5 = half a token); default: twice the clearing price of the providers' on-chain asks")
    .option("--min-reputation <bps>", "lowest provider reputation, basis points", "0")
    .option("--bid-window <s>", "seconds of bidding; 0 awards as soon as enough bids are in", "0")
    .option("--commit-window <s>", "seconds the winners have to commit")
    .option("--reveal-window <s>", "seconds the committers have to reveal")
    .option("--payment <how>", "escrow by auto | permit | approve", "auto")
    .option("-o, --out <dir>", "where to write the result", "./out")
    .option("--no-wait", "return once the job is posted (then run `accord job result <id>`, which also keeps serving the job's content)")
    .option("--timeout <s>", "give up waiting after this many seconds (the job goes on)")
    .action(run(() => import("./job/submit.ts")));

  job
    .command("result")
    .description("wait for a job to settle, then fetch, decrypt and verify its result")
    .argument("<jobId>", "the job id")
    .option("-o, --out <dir>", "where to write the result", "./out")
    .option("--timeout <s>", "give up waiting after this many seconds")
    .action(run(() => import("./job/result.ts")));

  job
    .command("status")
    .description("show a job's state and history (from its events)")
    .argument("<jobId>", "the job id")
    .option("-w, --watch", "follow the job until it settles")
    .action(run(() => import("./job/status.ts")));

  job
    .command("list")
    .description("list your jobs (or everyone's), newest first")
    .option("-a, --all", "every requester's jobs")
    .option("-n, --limit <n>", "at most this many", "20")
    .action(run(() => import("./job/list.ts")));

  job
    .command("cancel")
    .description("cancel an open job (before it is awarded); its escrow is credited back")
    .argument("<jobId>", "the job id")
    .action(run(() => import("./job/cancel.ts")));

  job
    .command("claim")
    .description("push a job whose deadline passed to its next state (refunds a stuck job)")
    .argument("<jobId>", "the job id")
    .action(run(() => import("./job/claim.ts")));

  jobSpecOptions(job.command("dry-run"))
    .description("run the job in the local sandbox: its fuel and result CID, before paying anyone")
    .option("-o, --out <dir>", "also write the result here")
    .action(run(() => import("./job/dryRun.ts")));
};

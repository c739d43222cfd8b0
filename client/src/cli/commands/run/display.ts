import type { RunTasksEvent, RunTasksProgress } from "../../../tasks/run.ts";
import { describeNoBids } from "../../../tasks/diagnose.ts";
import { fmtTokens, type Output } from "../../output.ts";

/** How often the progress is printed as a plain line when stderr is not a terminal. */
export const PLAIN_PROGRESS_INTERVAL_MS = 5_000;

type Token = { decimals: number; symbol: string };

/**
 * One live progress line: redrawn in place on a terminal, with event lines printed above it;
 * elsewhere (a log, CI) the same line printed when it changed, at most every few seconds.
 */
export class RunDisplay {
  private readonly tty: boolean;
  private readonly out: Output;
  private readonly stream: NodeJS.WriteStream;
  private readonly token: Token;
  private line = "";
  private lastPlain = "";
  private lastPlainAt = 0;

  constructor(out: Output, token: Token, stream: NodeJS.WriteStream = process.stderr) {
    this.out = out;
    this.stream = stream;
    this.token = token;
    this.tty = Boolean(stream.isTTY) && !out.json;
  }

  private amt(u: bigint): string {
    return fmtTokens(u, this.token.decimals, this.token.symbol);
  }

  progress(p: RunTasksProgress, force = false): void {
    if (this.out.json) return;
    const rate = p.tasksPerSecond >= 10 ? p.tasksPerSecond.toFixed(0) : p.tasksPerSecond.toFixed(2);
    this.line =
      `${p.done}/${p.total} done · ${p.running} running · ${p.waitingForBids} waiting for bids · ${p.queued} queued · ${p.failed} failed` +
      ` · ${rate} tasks/s · spent ${this.amt(p.spent)} (escrow held ${this.amt(p.escrowed)})${p.reposted ? ` · ${p.reposted} re-posted` : ""}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[K${this.line}`);
      return;
    }
    if (force || (this.line !== this.lastPlain && Date.now() - this.lastPlainAt >= PLAIN_PROGRESS_INTERVAL_MS)) {
      this.lastPlain = this.line;
      this.lastPlainAt = Date.now();
      this.stream.write(`${this.line}\n`);
    }
  }

  /** A line above the progress line. */
  say(text: string): void {
    if (this.out.json) return;
    if (this.tty) this.stream.write(`\r\x1b[K${text}\n${this.line}`);
    else this.stream.write(`${text}\n`);
  }

  event(ev: RunTasksEvent): void {
    switch (ev.type) {
      case "price":
        break; // the estimate shown before confirming named it already
      case "resumed":
        this.say(`✓ resumed: ${ev.done} done, ${ev.failed} given up, ${ev.following} still on the market, ${ev.queued} to post${ev.reconciled ? `; ${ev.reconciled} post(s) interrupted mid-way were checked against the chain` : ""}`);
        break;
      case "posted":
        if (ev.tasks.length) this.say(`✓ posted ${ev.tasks.length} task(s) in block ${ev.blockNumber} (tx ${ev.transactionHash})`);
        break;
      case "noBids":
        this.say(`✗ ${ev.task} (job ${ev.jobId}) got too few bids: ${describeNoBids(ev.diagnosis)}`);
        break;
      case "retry":
        this.say(`↻ ${ev.task}: posting again (attempt ${ev.attempt}): ${ev.reason}`);
        break;
      case "failed":
        this.say(`✗ ${ev.task} given up: ${ev.reason}`);
        break;
      case "warning":
        this.say(`! ${ev.message}`);
        break;
    }
  }

  /** Ends the live line so what follows starts on a line of its own. */
  finish(p: RunTasksProgress): void {
    this.progress(p, true);
    if (this.tty) this.stream.write("\n");
  }
}

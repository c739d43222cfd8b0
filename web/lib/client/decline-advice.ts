import type { DeclineReason } from "@accord/client/net";
import type { JobDetail, ProviderAnswer } from "../types.ts";
import { formatAmount, formatDuration } from "./format.ts";

/** What a provider's answer means for this job, and what the requester can do about it. */
export type Advice = {
  /** The provider's reason in the page's words, with its figures. */
  why: string;
  /** The next step; `repost` when the job must be posted again with other terms. */
  next: string;
  repost?: boolean;
  /** Nothing to do but wait: the provider decides again while bidding is open. */
  transient?: boolean;
};

type Token = { decimals: number; symbol: string };
const amount = (v: string, t: Token) => `${formatAmount(v, t.decimals)} ${t.symbol}`;

export function adviceFor(r: DeclineReason, job: Pick<JobDetail, "maxPrice" | "commitWindow">, t: Token): Advice {
  switch (r.code) {
    case "price": {
      const b = r.breakdown;
      return {
        why: `It asks ${amount(r.price, t)} per replica (fuel ${amount(b.fuel, t)} + memory ${amount(b.memory, t)} + input ${amount(b.input, t)}); the job pays at most ${amount(r.maxPrice, t)}.`,
        next: `Cancel this job and post it again at ${amount(r.price, t)} or more per replica: each winner is paid its own bid, so a higher maximum costs nothing extra.`,
        repost: true,
      };
    }
    case "window":
      return {
        why: `At its speed the job needs a commit window of at least ${formatDuration(r.needSeconds)}; it has ${formatDuration(r.commitWindowSeconds)}.`,
        next: `Cancel and post again with a commit window of ${r.needSeconds} s or more, or less fuel.`,
        repost: true,
      };
    case "backstop":
      return {
        why: `Its fuel budget takes about ${formatDuration(r.estRunMs / 1000)} on this provider, past the job's wall-clock backstop of ${formatDuration(r.wallClockMs / 1000)}.`,
        next: `Cancel and post again with a wall-clock backstop above ${Math.ceil(r.estRunMs / 1000)} s, or less fuel.`,
        repost: true,
      };
    case "limits":
      return {
        why: `The job asks ${r.asked.toLocaleString("en")} for ${r.limit}; this provider allows at most ${r.max.toLocaleString("en")}.`,
        next: `Post again within ${r.max.toLocaleString("en")} for ${r.limit}, or wait for providers with higher limits.`,
        repost: true,
      };
    case "capacity":
      return {
        why: `It is busy: ${r.queuedJobs} job${r.queuedJobs === 1 ? "" : "s"} queued (at most ${r.maxQueuedJobs})${r.finishMs !== undefined ? `, this one would finish in about ${formatDuration(r.finishMs / 1000)}` : ""}.`,
        next: "Nothing to do: it decides again as its queue drains, until the bid deadline.",
        transient: true,
      };
    case "stake":
      return {
        why: `A bid would lock ${amount(r.collateral, t)} of collateral (the job's maximum price at the collateral ratio); only ${amount(r.freeStake, t)} of its stake is free.`,
        next: "Wait: its stake frees as its other jobs settle. A lower maximum price locks less collateral.",
        transient: true,
      };
    case "policy":
      return policyAdvice(r.rule, r.message);
    case "manifest":
      return {
        why: `It could not use the job's program or inputs: ${r.error}`,
        next: "Fix the program or the inputs (the form checks the program before paying) and post again.",
        repost: true,
      };
    case "other":
      return { why: r.message, next: "Read the provider's words; if the job cannot be run as posted, cancel it and post again." };
  }
}

function policyAdvice(rule: string, message: string): Advice {
  switch (rule) {
    case "reputation":
      return { why: `Its reputation is below the job's minimum (${message}).`, next: "Cancel and post again with a lower minimum reputation.", repost: true };
    case "bidding-closed":
      return { why: "Bidding has closed.", next: "Claim the job (above) to get the escrow back, then post it again." };
    case "awarded":
    case "pool-closed":
      // Other providers' bids reached the job first: it has what it asked for.
      return { why: message, next: "Nothing to do: the job has its bids from other providers." };
    case "deny-list":
    case "allow-list":
      return { why: "This provider does not take jobs from your address.", next: "Nothing to change in the job: other providers may take it." };
    default:
      return { why: message, next: "Other providers may take the job; if none does, cancel it and post again." };
  }
}

/** A provider's state for the job as one line, for answers without reasons. */
export function statusLine(a: ProviderAnswer): string {
  switch (a.status) {
    case "unknown":
      return "has not seen the job yet (it bids within a block or two of seeing it)";
    case "evaluating":
      return "is fetching and checking the job";
    case "waiting":
      return "is waiting for capacity and will bid if a slot frees before the deadline";
    case "bid":
      return "has bid";
    case "declined":
      return "declined";
    case "silent":
      return `cannot say why: ${a.error}`;
    case "unreachable":
      return `could not be reached at its registered addresses (${a.error}); its node may be offline`;
  }
}

import type { TimelineEntry } from "./types.ts";

/**
 * Wall-clock time between a job's milestones — posted, awarded, last reveal, settled — from the
 * timestamps of the blocks that hold their events.
 */
export type PhaseTime = {
  key: "bidding" | "running" | "settling" | "total";
  label: string;
  from: { time: number; block: number };
  /** Absent while the phase is still going on. */
  to?: { time: number; block: number };
  seconds?: number;
};

const at = (e: TimelineEntry) => ({ time: e.time, block: e.block });

function span(key: PhaseTime["key"], label: string, from: TimelineEntry, to: TimelineEntry | undefined): PhaseTime {
  return { key, label, from: at(from), ...(to && { to: at(to), seconds: to.time - from.time }) };
}

export function phaseTimes(timeline: readonly TimelineEntry[]): PhaseTime[] {
  const posted = timeline.find((e) => e.kind === "posted");
  if (!posted) return [];
  const awarded = timeline.find((e) => e.kind === "awarded");
  const lastReveal = timeline.filter((e) => e.kind === "revealed").at(-1);
  const settled = timeline.find((e) => e.kind === "settled");
  const out: PhaseTime[] = [];
  if (!awarded) {
    out.push(span("bidding", settled ? "Posted → closed without an award" : "Posted → awarded", posted, settled));
  } else {
    out.push(span("bidding", "Posted → awarded", posted, awarded));
    if (lastReveal) {
      out.push(span("running", "Awarded → last reveal", awarded, lastReveal));
      out.push(span("settling", "Last reveal → settled", lastReveal, settled));
    } else {
      out.push(span("running", settled ? "Awarded → settled without a reveal" : "Awarded → revealed", awarded, settled));
    }
  }
  out.push(span("total", "Posted → settled", posted, settled));
  return out;
}

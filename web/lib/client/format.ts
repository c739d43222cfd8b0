import { formatUnits } from "viem";

/**
 * A token amount with its decimals applied, grouped, exact unless `maxFraction` is given: a
 * bid of 0.001065 rounded to 0.001 hides why a job offering 0.001 got no bid.
 */
export function formatAmount(value: string | bigint, decimals: number, maxFraction = decimals): string {
  const text = formatUnits(BigInt(value), decimals);
  const [whole, fraction = ""] = text.split(".");
  const neg = whole!.startsWith("-");
  const grouped = (neg ? whole!.slice(1) : whole!).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let frac = fraction.slice(0, maxFraction).replace(/0+$/, "");
  // Never show a positive amount as 0: show the smallest digit that is not zero.
  if (!frac && grouped === "0" && BigInt(value) !== 0n) frac = fraction.replace(/0+$/, "");
  return `${neg ? "-" : ""}${grouped}${frac ? `.${frac}` : ""}`;
}

export function shortAddress(a: string): string {
  return a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a;
}

export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 5)}…${id.slice(-5)}` : id;
}

export function shortCid(cid: string): string {
  return cid.length > 20 ? `${cid.slice(0, 10)}…${cid.slice(-8)}` : cid;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 86400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ""}`;
  return `${Math.floor(s / 86400)} d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)} h` : ""}`;
}

/** "3 min ago" relative to `now` (useNow: the wall clock, never behind the chain's). */
export function timeAgo(time: number, now: number): string {
  const d = now - time;
  if (d < 5) return "just now";
  return `${formatDuration(d)} ago`;
}

export function formatTime(time: number): string {
  return new Date(time * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

export function percent(rate: number | undefined): string {
  return rate === undefined ? "—" : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)} %`;
}

export function bps(score: number): string {
  return `${(score / 100).toFixed(score % 100 ? 2 : 0)} %`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A token amount as a plain number of whole tokens, for a chart's scale (never for a figure shown as text). */
export function tokenNumber(value: string | bigint, decimals: number): number {
  return Number(formatUnits(BigInt(value), decimals));
}

/** An axis label for whole tokens: three significant digits, so 0.0012 does not read 0. */
export function axisAmount(v: number): string {
  if (v === 0) return "0";
  if (Math.abs(v) >= 10_000) return new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 }).format(v);
  return Number(v.toPrecision(3)).toLocaleString("en", { maximumFractionDigits: 20 });
}

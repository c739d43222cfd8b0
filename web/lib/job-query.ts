import { getAddress, isAddress } from "viem";
import type { JobStateName } from "./types.ts";

/**
 * The jobs page's filters and page, all in the URL, so a filtered page is a link anyone can open
 * and the server renders it with its rows.
 */
export type JobQuery = {
  state?: StateFilter;
  requester?: `0x${string}`;
  provider?: `0x${string}`;
  /** 1-based. */
  page: number;
  per: number;
};

/** A job state, or "Running" for both states of an awarded job not yet settled. */
export type StateFilter = JobStateName | "Running";

export const STATE_FILTERS: readonly StateFilter[] = ["Open", "Running", "Committing", "Revealing", "Succeeded", "NoConsensus", "Failed", "Cancelled", "Expired"];
export const JOBS_PER_PAGE = 25;
export const MAX_JOBS_PER_PAGE = 100;

type Params = Record<string, string | string[] | undefined> | URLSearchParams;

const one = (params: Params, key: string): string | undefined => {
  const v = params instanceof URLSearchParams ? params.get(key) ?? undefined : params[key];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : undefined;
};

/** The query a URL asks for, and what in it could not be read (each with what to write instead). */
export function parseJobQuery(params: Params): { query: JobQuery; problems: string[] } {
  const problems: string[] = [];
  const query: JobQuery = { page: 1, per: JOBS_PER_PAGE };
  const state = one(params, "state");
  if (state !== undefined) {
    const match = STATE_FILTERS.find((s) => s.toLowerCase() === state.toLowerCase());
    if (match) query.state = match;
    else problems.push(`"${state}" is not a job state: use one of ${STATE_FILTERS.join(", ")}.`);
  }
  for (const key of ["requester", "provider"] as const) {
    const v = one(params, key);
    if (v === undefined) continue;
    if (isAddress(v, { strict: false })) query[key] = getAddress(v);
    else problems.push(`The ${key} "${v}" is not an address: write 0x and 40 hex digits.`);
  }
  const whole = (key: "page" | "per", max: number) => {
    const v = one(params, key);
    if (v === undefined) return undefined;
    const n = /^\d{1,9}$/.test(v) ? Number(v) : NaN;
    if (n >= 1 && n <= max) return n;
    problems.push(`${key} "${v}" is not a whole number from 1 to ${max}.`);
    return undefined;
  };
  query.page = whole("page", 1e9) ?? 1;
  query.per = whole("per", MAX_JOBS_PER_PAGE) ?? JOBS_PER_PAGE;
  return { query, problems };
}

/** The URL search string of a query ("" when it asks for nothing but the defaults). */
export function jobQueryString(q: JobQuery, change: Partial<JobQuery> = {}): string {
  const merged = { ...q, ...change };
  const s = new URLSearchParams();
  if (merged.state) s.set("state", merged.state);
  if (merged.requester) s.set("requester", merged.requester);
  if (merged.provider) s.set("provider", merged.provider);
  if (merged.per !== JOBS_PER_PAGE) s.set("per", String(merged.per));
  if (merged.page > 1) s.set("page", String(merged.page));
  const text = s.toString();
  return text ? `?${text}` : "";
}

/** What a job must show for the filters to see it: its state, requester, and every provider that bid. */
export type FilterableJob = { state: JobStateName; requester: string; providers: readonly string[] };

export function matchesJobQuery(job: FilterableJob, q: JobQuery): boolean {
  if (q.state === "Running" ? job.state !== "Committing" && job.state !== "Revealing" : q.state && job.state !== q.state) return false;
  if (q.requester && job.requester.toLowerCase() !== q.requester.toLowerCase()) return false;
  if (q.provider && !job.providers.some((p) => p.toLowerCase() === q.provider!.toLowerCase())) return false;
  return true;
}

/** One page of `rows` (already in display order); a page past the last is empty, and says how many there are. */
export function pageOf<T>(rows: readonly T[], q: JobQuery): { rows: T[]; total: number; pages: number } {
  const pages = Math.max(1, Math.ceil(rows.length / q.per));
  return { rows: rows.slice((q.page - 1) * q.per, q.page * q.per), total: rows.length, pages };
}

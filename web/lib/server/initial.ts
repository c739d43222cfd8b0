import { isAddress } from "viem";
import type { JobQuery } from "../job-query.ts";
import { RUN_ID } from "../runs.ts";
import type { AccountSnapshot, JobDetail, JobsPage, MarketSnapshot, ProviderDetail, ProviderRow, RunDetail, SearchResult } from "../types.ts";
import { fillManifestFuel, readNewManifests } from "./content.ts";
import { accountSnapshot, jobDetail, jobsPage, marketSnapshot, providerDetail, providerRows, readyMarket } from "./market.ts";
import { runDetail } from "./runs.ts";
import { searchMarket } from "./search.ts";

/**
 * The first data of each page, read on the server while it renders the page, so the HTML
 * arrives with it instead of a spinner that waits for the client code to start and fetch
 * (4–7 s to data on a busy machine). The browser seeds its query cache with it and follows
 * the chain from there as before. Anything slower than this, or failing, renders as before: the
 * browser fetches and shows the error in its own words.
 */
export const SSR_DATA_TIMEOUT_MS = 3_000;

/** What the API would have answered, as JSON (no bigint crosses to the browser). */
const plain = <T>(v: unknown): T => JSON.parse(JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x))) as T;

async function within<T>(work: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work(), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), SSR_DATA_TIMEOUT_MS)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

export function initialMarket(): Promise<MarketSnapshot | undefined> {
  // Fuel limits of manifests the server has not read arrive with a later block's refetch.
  void fillManifestFuel().catch(() => {});
  return within(async () => plain<MarketSnapshot>(await marketSnapshot(await readyMarket())));
}

export function initialProviders(): Promise<ProviderRow[] | undefined> {
  return within(async () => plain<ProviderRow[]>(await providerRows(await readyMarket())));
}

export function initialProvider(address: string): Promise<ProviderDetail | undefined> {
  if (!isAddress(address, { strict: false })) return Promise.resolve(undefined);
  return within(async () => {
    const detail = await providerDetail(await readyMarket(), address);
    return detail && plain<ProviderDetail>(detail);
  });
}

export function initialJob(id: string): Promise<JobDetail | undefined> {
  if (!/^\d{1,78}$/.test(id)) return Promise.resolve(undefined);
  return within(async () => {
    const m = await readyMarket();
    const job = m.index.jobs.get(BigInt(id));
    return job && plain<JobDetail>(jobDetail(job, m.index.chainTime));
  });
}

export function initialAccount(address: string): Promise<AccountSnapshot | undefined> {
  if (!isAddress(address, { strict: false })) return Promise.resolve(undefined);
  // Runs of jobs whose manifests are not read yet arrive with the browser's refetch: the page's
  // first HTML does not wait on the network for them.
  void fillManifestFuel().catch(() => {});
  return within(async () => plain<AccountSnapshot>(await accountSnapshot(await readyMarket(), address)));
}

export function initialRun(runId: string): Promise<RunDetail | undefined> {
  if (!RUN_ID.test(runId)) return Promise.resolve(undefined);
  return within(async () => {
    const m = await readyMarket();
    await readNewManifests();
    const run = runDetail(m.index, runId);
    return run && plain<RunDetail>(run);
  });
}

export function initialJobs(query: JobQuery): Promise<JobsPage | undefined> {
  return within(async () => plain<JobsPage>(jobsPage(await readyMarket(), query)));
}

export function initialSearch(query: string): Promise<SearchResult | undefined> {
  return within(async () => searchMarket(await readyMarket(), query));
}

import { classifyQuery, normalCid, SEARCH_FORMS } from "../search-query.ts";
import type { SearchHit, SearchResult } from "../types.ts";
import { consensusCidOf, type JobRecord } from "./indexer.ts";
import { readNewManifests } from "./content.ts";
import { INDEX_CATCH_UP_MS, type Market } from "./market.ts";
import { knowsRun } from "./runs.ts";

const jobHit = (job: JobRecord, why: string): SearchHit => ({ href: `/jobs/${job.history.jobId}`, kind: "job", label: `Job ${job.history.jobId}`, why });

/** The CIDs a job names (its manifest, each revealed and sealed result), in one spelling each. */
function cidsOf(job: JobRecord): [string, string][] {
  const out: [string, string | undefined][] = [[ "manifest CID", normalCid(job.history.manifestCid) ]];
  const consensus = normalCid(consensusCidOf(job.history));
  for (const r of job.history.awarded) {
    const result = normalCid(r.resultCid);
    out.push([result && result === consensus ? "consensus result CID" : "result CID", result]);
    out.push(["sealed result CID", normalCid(r.sealedResultCid)]);
  }
  return out.filter((e): e is [string, string] => !!e[1]);
}

/**
 * What a search box query names in the index: a job by id, a provider or account by address, the
 * job a transaction or result digest belongs to, the jobs that name a CID. A job id not yet read
 * (posted a moment ago) is waited for up to INDEX_CATCH_UP_MS, as the job page does.
 */
export async function searchMarket(m: Market, raw: string): Promise<SearchResult> {
  const query = raw.trim();
  const q = classifyQuery(query);
  // Newest first, as every list of jobs.
  const jobs = () => [...m.index.jobs.values()].sort((a, b) => Number(b.history.postedBlock - a.history.postedBlock));
  const catchUp = async () => m.index.caughtUpTo(await m.ctx.client.getBlockNumber({ cacheTime: 0 }), INDEX_CATCH_UP_MS);
  switch (q.kind) {
    case "empty":
      return { query, reading: "nothing: the search box was empty", hits: [] };
    case "unknown":
      return { query, reading: `no known form (${SEARCH_FORMS.length} are accepted)`, hits: [] };
    case "jobId": {
      if (!m.index.jobs.has(q.jobId)) await catchUp();
      const job = m.index.jobs.get(q.jobId);
      return { query, reading: "a job id", hits: job ? [jobHit(job, "job id")] : [] };
    }
    case "address": {
      const lower = q.address.toLowerCase();
      const provider = [...m.index.providers.keys()].find((a) => a.toLowerCase() === lower);
      // Every address has an account page (balances, jobs posted); a registered provider's leads to its provider page first.
      const hits: SearchHit[] = [];
      if (provider) hits.push({ href: `/providers/${provider}`, kind: "provider", label: `Provider ${provider}`, why: "registered provider" });
      hits.push({ href: `/accounts/${q.address}`, kind: "account", label: `Account ${q.address}`, why: "address" });
      return { query, reading: "an address", hits };
    }
    case "hash": {
      const hits: SearchHit[] = [];
      let job = m.index.jobs.get(q.jobId);
      if (job) hits.push(jobHit(job, "job id"));
      for (job of jobs()) {
        if (hits.some((h) => h.href === `/jobs/${job!.history.jobId}`)) continue;
        if (job.timeline.some((e) => e.tx.toLowerCase() === q.hash)) hits.push(jobHit(job, "transaction"));
        else if (job.history.settlement?.resultDigest.toLowerCase() === q.hash) hits.push(jobHit(job, "consensus result digest"));
      }
      return { query, reading: "a 32-byte hash: a job id in hex, a transaction or a result digest", hits };
    }
    case "run": {
      // A run is known by its jobs' manifests: read the ones not read yet before saying no.
      if (!knowsRun(m.index, q.runId)) await readNewManifests(INDEX_CATCH_UP_MS);
      const hits: SearchHit[] = knowsRun(m.index, q.runId) ? [{ href: `/runs/${q.runId}`, kind: "run", label: `Run ${q.runId}`, why: "run id" }] : [];
      return { query, reading: "a run id", hits };
    }
    case "cid": {
      const hits: SearchHit[] = [];
      for (const job of jobs()) {
        const named = cidsOf(job).find(([, cid]) => cid === q.cid);
        if (named) hits.push(jobHit(job, named[0]));
      }
      return { query, reading: "a CID", hits };
    }
  }
}

/** Where the search box sends the browser: the one page a query names, or the results page. */
export function searchTarget(result: SearchResult): string {
  const first = result.hits[0];
  const single = first && result.hits.every((h) => h.href === first.href);
  // An address is one owner whichever page: its provider page when it is a registered provider.
  if (first && (single || first.kind === "provider")) return first.href;
  return `/search/results?q=${encodeURIComponent(result.query)}`;
}

import type { Metadata } from "next";
import Link from "next/link";
import { Card } from "@/components/Card.tsx";
import { SearchBox } from "@/components/SearchBox.tsx";
import { initialSearch } from "@/lib/server/initial.ts";
import { SEARCH_FORMS } from "@/lib/search-query.ts";

export const dynamic = "force-dynamic";

type Props = { searchParams: Promise<{ q?: string | string[] }> };

export const metadata: Metadata = { title: "Search" };

/**
 * Where a query that names no single page lands: its matches (a CID several jobs name), or what
 * was looked for and the forms the box accepts. Rendered on the server; nothing here changes
 * with new blocks that a reload would not show.
 */
export default async function SearchResults({ searchParams }: Props) {
  const raw = (await searchParams).q;
  const query = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? "";
  const result = await initialSearch(query);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Search</h1>
        <Link href="/jobs">All jobs</Link>
      </div>
      <SearchBox initial={query} id="search-page" />
      {!result ? (
        <div className="notice error" role="alert">
          <p>
            <strong>The market index could not answer in time.</strong>
          </p>
          <p>It is still reading the chain, or the chain is unreachable. What to do: wait a few seconds and search again.</p>
        </div>
      ) : result.hits.length ? (
        <Card title={`${result.hits.length} ${result.hits.length === 1 ? "match" : "matches"} for “${result.query}”`} id="search-hits">
          <p className="small muted">Read as {result.reading}.</p>
          <ul className="hits" data-testid="search-hits">
            {result.hits.map((h) => (
              <li key={`${h.href}-${h.why}`}>
                <Link href={h.href} className="mono">
                  {h.label}
                </Link>{" "}
                <span className="small muted">by its {h.why}</span>
              </li>
            ))}
          </ul>
        </Card>
      ) : (
        <div className="notice info" data-testid="search-nothing">
          <p>
            <strong>{result.query ? `Nothing on this market matches “${result.query}”.` : "Type what to look for."}</strong>
          </p>
          {result.query && <p>Read as {result.reading}; looked in every job, provider and account this server has indexed.</p>}
          <p>The search box takes:</p>
          <ul>
            {SEARCH_FORMS.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

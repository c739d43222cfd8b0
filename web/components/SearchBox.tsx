/**
 * The search box: a plain GET form to /search, which answers with a redirect to the page the
 * query names (or the results page), so it works by keyboard, without the page's code, and the
 * Back button returns to where the search started.
 */
export function SearchBox({ initial = "", id = "search" }: { initial?: string; id?: string }) {
  return (
    <form className="search" role="search" action="/search" method="get" aria-label={id === "search" ? "Search the market" : "Search again"}>
      <label htmlFor={id} className="visually-hidden">
        Job id, address, transaction or CID
      </label>
      <input id={id} name="q" type="search" className="input" defaultValue={initial} placeholder="Job id, address or CID" autoComplete="off" spellCheck={false} enterKeyHint="search" data-testid={id} />
      <button type="submit" className="button secondary search-go">
        {/* An icon where the header is crowded; the button's name is still "Search". */}
        <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round">
          <circle cx="10.5" cy="10.5" r="6.5" />
          <path d="M15.5 15.5L21 21" />
        </svg>
        <span className="visually-hidden">Search</span>
      </button>
    </form>
  );
}

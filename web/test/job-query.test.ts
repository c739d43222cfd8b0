// The jobs page's filters and paging, read from and written to the URL.
import { describe, expect, it } from "vitest";
import { JOBS_PER_PAGE, jobQueryString, matchesJobQuery, pageOf, parseJobQuery } from "../lib/job-query.ts";

const A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const B = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

describe("parseJobQuery", () => {
  it("reads state, requester, provider, page and per, and writes them back the same", () => {
    const { query, problems } = parseJobQuery({ state: "succeeded", requester: A.toLowerCase(), provider: B, page: "3", per: "10" });
    expect(problems).toEqual([]);
    expect(query).toEqual({ state: "Succeeded", requester: A, provider: B, page: 3, per: 10 });
    const again = parseJobQuery(new URLSearchParams(jobQueryString(query).slice(1)));
    expect(again.query).toEqual(query);
  });

  it("leaves the defaults out of the URL", () => {
    expect(jobQueryString({ page: 1, per: JOBS_PER_PAGE })).toBe("");
    expect(jobQueryString({ page: 1, per: JOBS_PER_PAGE, state: "Open" }, { page: 2 })).toBe("?state=Open&page=2");
  });

  it("names each value it cannot read, with the form to use, and falls back to the defaults", () => {
    const { query, problems } = parseJobQuery({ state: "Done", requester: "0x12", page: "0", per: "1000" });
    expect(query).toEqual({ page: 1, per: JOBS_PER_PAGE });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toContain('"Done" is not a job state');
    expect(problems[1]).toContain('The requester "0x12" is not an address');
    expect(problems[2]).toContain('page "0"');
    expect(problems[3]).toContain("from 1 to 100");
  });
});

describe("matchesJobQuery and pageOf", () => {
  const jobs = [
    { id: 1, state: "Committing" as const, requester: A, providers: [B] },
    { id: 2, state: "Succeeded" as const, requester: A, providers: [] },
    { id: 3, state: "Revealing" as const, requester: B, providers: [A] },
  ];
  const ids = (q: Parameters<typeof matchesJobQuery>[1]) => jobs.filter((j) => matchesJobQuery(j, q)).map((j) => j.id);

  it("filters by state (Running is both states of an awarded job), requester and provider in any case", () => {
    expect(ids({ page: 1, per: 25, state: "Running" })).toEqual([1, 3]);
    expect(ids({ page: 1, per: 25, state: "Succeeded" })).toEqual([2]);
    expect(ids({ page: 1, per: 25, requester: A.toLowerCase() as `0x${string}` })).toEqual([1, 2]);
    expect(ids({ page: 1, per: 25, provider: B })).toEqual([1]);
    expect(ids({ page: 1, per: 25, requester: A, provider: A })).toEqual([]);
  });

  it("cuts pages of `per` rows and counts them; a page past the end is empty", () => {
    const rows = [1, 2, 3, 4, 5];
    expect(pageOf(rows, { page: 2, per: 2 })).toEqual({ rows: [3, 4], total: 5, pages: 3 });
    expect(pageOf(rows, { page: 3, per: 2 }).rows).toEqual([5]);
    expect(pageOf(rows, { page: 4, per: 2 }).rows).toEqual([]);
    expect(pageOf([], { page: 1, per: 2 })).toEqual({ rows: [], total: 0, pages: 1 });
  });
});

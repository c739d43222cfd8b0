import type { Metadata } from "next";
import { parseJobQuery } from "@/lib/job-query.ts";
import { initialJobs } from "@/lib/server/initial.ts";
import { JobsListView } from "./jobs-view.tsx";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Jobs" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** Every job, filtered and paged by the URL, rendered with its rows (lib/server/initial.ts). */
export default async function JobsPage({ searchParams }: Props) {
  const { query, problems } = parseJobQuery(await searchParams);
  return <JobsListView query={query} problems={problems} initial={problems.length ? undefined : await initialJobs(query)} />;
}

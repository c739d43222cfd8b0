import { initialJob } from "@/lib/server/initial.ts";
import { JobView } from "./job-view.tsx";

export const dynamic = "force-dynamic";

export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <JobView id={id} initial={await initialJob(id)} />;
}

import type { Metadata } from "next";
import { initialRun } from "@/lib/server/initial.ts";
import { RunView } from "./run-view.tsx";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ runId: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: `Run ${(await params).runId}` };
}

export default async function RunPage({ params }: Props) {
  const { runId } = await params;
  return <RunView runId={runId} initial={await initialRun(runId)} />;
}

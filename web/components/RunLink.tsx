"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { fetchJson } from "@/lib/client/api.ts";
import type { ManifestAnswer } from "@/lib/manifest-answer.ts";
import { parseRunNonce } from "@/lib/runs.ts";

/**
 * For a job that is an attempt of a bag of tasks: which task, which attempt, and a link to the
 * run's grid. Read from the manifest's nonce, through the same query as "What ran" (one fetch).
 */
export function RunLink({ manifestCid }: { manifestCid: string }) {
  const q = useQuery({
    queryKey: ["manifest", manifestCid],
    queryFn: () => fetchJson<ManifestAnswer>(`/api/manifests/${manifestCid}`),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const tag = q.data?.available ? parseRunNonce(q.data.manifest.nonce) : undefined;
  if (!tag) return null;
  return (
    <p className="notice info small" data-testid="job-run">
      Task <strong>{tag.task}</strong>, attempt {tag.attempt}, of the run{" "}
      <Link href={`/runs/${tag.runId}`} className="mono">
        {tag.runId}
      </Link>
      : see every task of the run as a grid.
    </p>
  );
}

"use client";
import Link from "next/link";
import { use } from "react";
import { ProviderView } from "@/components/ProviderView.tsx";
import { ErrorNotice, Loading } from "@/components/Status.tsx";
import { useApi } from "@/lib/client/api.ts";
import type { ProviderDetail } from "@/lib/types.ts";

export default function ProviderPage({ params }: { params: Promise<{ address: string }> }) {
  const { address } = use(params);
  const q = useApi<ProviderDetail>(`/api/providers/${address}`);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>
          Provider <span className="mono" style={{ fontSize: "0.7em" }}>{address}</span>
        </h1>
        <Link href="/providers">All providers</Link>
      </div>
      {q.isPending ? <Loading label="Reading the provider's history…" /> : q.error ? <ErrorNotice error={q.error} title="This provider could not be loaded" /> : <ProviderView p={q.data} />}
    </div>
  );
}

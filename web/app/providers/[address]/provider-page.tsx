"use client";
import Link from "next/link";
import { CopyText } from "@/components/CopyText.tsx";
import { ProviderView } from "@/components/ProviderView.tsx";
import { shortAddress } from "@/lib/client/format.ts";
import { ErrorNotice, Loading } from "@/components/Status.tsx";
import { useApi } from "@/lib/client/api.ts";
import type { ProviderDetail } from "@/lib/types.ts";

export function ProviderPage({ address, initial }: { address: string; initial?: ProviderDetail }) {
  const q = useApi<ProviderDetail>(`/api/providers/${address}`, initial);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>
          Provider <CopyText value={address} shown={shortAddress(address)} label="provider address" />
        </h1>
        <Link href="/providers">All providers</Link>
      </div>
      {q.isPending ? <Loading label="Reading the provider's history…" /> : q.error ? <ErrorNotice error={q.error} title="This provider could not be loaded" /> : <ProviderView p={q.data} />}
    </div>
  );
}

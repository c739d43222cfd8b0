"use client";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { useConnection } from "wagmi";
import { Loading } from "@/components/Status.tsx";
import { FROM_ME } from "@/lib/account-cookie.ts";
import { useMounted } from "@/lib/client/use-mounted.ts";

/** /me when the server does not know the wallet (no cookie yet): waits for it in the browser, then opens its account page. */
export function MeView() {
  const conn = useConnection();
  const mounted = useMounted();
  const router = useRouter();
  useEffect(() => {
    if (conn.status === "connected" && conn.address) router.replace(`/accounts/${conn.address}?from=${FROM_ME}`);
  }, [conn.status, conn.address, router]);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>My jobs &amp; earnings</h1>
      </div>
      {!mounted || conn.isReconnecting || conn.isConnected ? (
        <Loading label="Looking for your wallet…" />
      ) : (
        <div className="notice info">
          <p>Connect a wallet (top right) to see the jobs you posted and what you earned as a provider.</p>
        </div>
      )}
    </div>
  );
}

"use client";
import "@/lib/client/buffer-global.ts";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { WagmiProvider } from "wagmi";
import type { PublicConfig } from "@/lib/config.ts";
import { AccountCookie } from "@/lib/client/account-cookie.tsx";
import { AppConfigProvider } from "@/lib/client/app-config.tsx";
import { LiveUpdates } from "@/lib/client/live.tsx";
import { ResultKeyProvider } from "@/lib/client/result-key.tsx";
import { createWagmiConfig } from "@/lib/wallet/wagmi.ts";

export function Providers({ config, children }: { config: PublicConfig; children: ReactNode }) {
  // Created once per page load: wagmi and react-query keep their caches in these objects.
  const [wagmi] = useState(() => createWagmiConfig(config, typeof window === "undefined" ? "http://127.0.0.1" : window.location.origin));
  const [queries] = useState(() => new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: false } } }));
  return (
    <AppConfigProvider value={config}>
      <WagmiProvider config={wagmi} reconnectOnMount>
        <AccountCookie />
        <QueryClientProvider client={queries}>
          <LiveUpdates>
            <ResultKeyProvider>{children}</ResultKeyProvider>
          </LiveUpdates>
        </QueryClientProvider>
      </WagmiProvider>
    </AppConfigProvider>
  );
}

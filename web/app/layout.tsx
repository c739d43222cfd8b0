import "./globals.css";
import type { Metadata, Viewport } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { BaseError } from "@accord/client/errors";
import Link from "next/link";
import { Header } from "@/components/Header.tsx";
import { serverContext } from "@/lib/server/context.ts";
import { Providers } from "./providers.tsx";

export const metadata: Metadata = {
  title: { default: "Accord — verifiable compute market", template: "%s · Accord" },
  description: "Post WebAssembly jobs, watch providers run them, and download results a quorum agreed on.",
};
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The deployment is read per request: one build serves whichever chain the server points at.
  await connection();
  let body: ReactNode;
  try {
    const ctx = await serverContext();
    body = (
      <Providers config={ctx.publicConfig}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <Header />
        <main id="main" className="main">
          {children}
        </main>
        <footer className="footer">
          Market <Link href={`/accounts/${ctx.publicConfig.jobMarket}`}>{ctx.publicConfig.jobMarket}</Link> on {ctx.publicConfig.chainName} · settles in {ctx.publicConfig.tokenSymbol}
        </footer>
      </Providers>
    );
  } catch (err) {
    const e = err instanceof BaseError ? err : undefined;
    body = (
      <main id="main" className="main">
        <h1>Accord cannot reach its market</h1>
        <div className="notice error" role="alert">
          <p>
            <strong>{e?.shortMessage ?? (err as Error).message}</strong>
          </p>
          {e?.details && <p className="small">{e.details}</p>}
          {e?.fix && <p>What to do: {e.fix}</p>}
        </div>
      </main>
    );
  }
  return (
    <html lang="en">
      <body>{body}</body>
    </html>
  );
}

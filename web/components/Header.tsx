"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useConnection } from "wagmi";
import { FROM_ME } from "@/lib/account-cookie.ts";
import { useLive } from "@/lib/client/live.tsx";
import { useMounted } from "@/lib/client/use-mounted.ts";
import { SearchBox } from "./SearchBox.tsx";
import { WalletButton } from "./WalletButton.tsx";

const LINKS = [
  { href: "/", label: "Market" },
  { href: "/jobs", label: "Jobs" },
  { href: "/post", label: "Post a job" },
  { href: "/providers", label: "Providers" },
  { href: "/me", label: "My jobs & earnings" },
] as const;

export function Header() {
  const path = usePathname();
  const live = useLive();
  const conn = useConnection();
  const mounted = useMounted();
  // With a wallet connected, "My jobs" is its account page, rendered with its data on the server;
  // /me finds the same page, by the cookie or once the wallet reconnects.
  const mine = mounted && conn.status === "connected" && conn.address ? `/accounts/${conn.address}` : undefined;
  const hrefOf = (href: string) => (href === "/me" && mine ? `${mine}?from=${FROM_ME}` : href);
  const current = (href: string) =>
    href === "/" ? path === "/" : href === "/me" ? path === "/me" || (!!mine && path.toLowerCase() === mine.toLowerCase()) : path.startsWith(href);
  return (
    <header className="header">
      <div className="header-inner">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Accord
        </Link>
        <nav className="nav" aria-label="Main">
          {LINKS.map((l) => (
            <Link key={l.href} href={hrefOf(l.href)} aria-current={current(l.href) ? "page" : undefined}>
              {l.label}
            </Link>
          ))}
        </nav>
        <SearchBox />
        <span className="row small muted live-block" title={live.connected ? "Following the chain" : "Not connected to the chain stream"} data-testid="live">
          <span className={`live-dot${live.connected ? "" : " off"}`} aria-hidden="true" />
          {live.connected ? `Block ${live.head}` : "Connecting…"}
        </span>
        <WalletButton />
      </div>
    </header>
  );
}

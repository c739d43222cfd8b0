"use client";
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { useConnect, useConnection, useConnectors, useDisconnect, useSwitchChain } from "wagmi";
import { useAppConfig } from "@/lib/client/app-config.tsx";
import { shortAddress } from "@/lib/client/format.ts";
import { devAccounts } from "@/lib/wallet/dev-accounts.ts";
import { DEV_WALLET_ID } from "@/lib/wallet/dev-wallet.ts";
import { useMounted } from "@/lib/client/use-mounted.ts";

type DevConnector = { selectAccount(i: number): void; accountIndex(): number };

/** Connect, switch account or chain, disconnect: one menu, usable from the keyboard. */
export function WalletButton() {
  const config = useAppConfig();
  const conn = useConnection();
  const connectors = useConnectors();
  const { connect, isPending, error } = useConnect();
  const { disconnect } = useDisconnect();
  const { switchChain } = useSwitchChain();
  const [open, setOpen] = useState(false);
  const mounted = useMounted();
  const menuId = useId();
  const wrap = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    const onClick = (e: MouseEvent) => !wrap.current?.contains(e.target as Node) && setOpen(false);
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);

  // The wallet state exists only in the browser; render the same placeholder as the server until mounted.
  if (!mounted) return <button className="button secondary" disabled>Connect wallet</button>;

  const dev = connectors.find((c) => c.id === DEV_WALLET_ID);
  // wagmi lists the generic "Injected" connector even without an extension; offer it only when there is one.
  const injected = connectors.filter((c) => c.id !== DEV_WALLET_ID && (c.id !== "injected" || typeof window !== "undefined" && "ethereum" in window));
  const wrongChain = conn.isConnected && conn.chainId !== config.chainId;
  const isDev = conn.connector?.id === DEV_WALLET_ID;

  return (
    <div className="wallet" ref={wrap}>
      <button
        className={`button ${conn.isConnected ? "ghost" : ""}`}
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => setOpen((o) => !o)}
        data-testid="wallet-button"
      >
        {conn.isConnected && conn.address ? (
          <>
            <span className="mono">{shortAddress(conn.address)}</span>
            {wrongChain && <span className="badge warn">Wrong network</span>}
          </>
        ) : (
          "Connect wallet"
        )}
      </button>
      {open && (
        <div className="menu" id={menuId} role="group" aria-label="Wallet">
          {conn.isConnected ? (
            <>
              <div className="small muted">Connected with {conn.connector?.name}</div>
              <Link href={`/accounts/${conn.address}`} className="mono small" onClick={() => setOpen(false)}>
                {conn.address}
              </Link>
              {isDev && dev && (
                <div className="field">
                  <label htmlFor={`${menuId}-acct`}>Development account</label>
                  <select
                    id={`${menuId}-acct`}
                    className="select"
                    defaultValue={(conn.connector as unknown as DevConnector).accountIndex()}
                    onChange={(e) => (conn.connector as unknown as DevConnector).selectAccount(Number(e.target.value))}
                  >
                    {devAccounts().map((a, i) => (
                      <option key={a.address} value={i}>
                        #{i} {shortAddress(a.address)}
                      </option>
                    ))}
                  </select>
                </div>
              )}
              {wrongChain && (
                <button className="button" onClick={() => switchChain({ chainId: config.chainId })}>
                  Switch to {config.chainName}
                </button>
              )}
              <button
                className="button secondary"
                onClick={() => {
                  disconnect();
                  setOpen(false);
                }}
              >
                Disconnect
              </button>
            </>
          ) : (
            <>
              {injected.map((c) => (
                <button key={c.uid} className="button secondary" disabled={isPending} onClick={() => connect({ connector: c, chainId: config.chainId }, { onSuccess: () => setOpen(false) })}>
                  {c.name}
                </button>
              ))}
              {!injected.length && <p className="small muted">No browser wallet found. Install MetaMask or another wallet to use your own account.</p>}
              {dev && (
                <>
                  <button className="button" disabled={isPending} onClick={() => connect({ connector: dev }, { onSuccess: () => setOpen(false) })} data-testid="connect-dev">
                    Development wallet
                  </button>
                  <p className="small muted">Local chain only: Hardhat&apos;s well-known test accounts, signing in this page.</p>
                </>
              )}
              {error && <p className="error-text small" role="alert">{error.message.split("\n")[0]}</p>}
            </>
          )}
        </div>
      )}
    </div>
  );
}

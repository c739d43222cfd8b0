"use client";
import { useEffect, useRef } from "react";
import { useConnection } from "wagmi";
import { ACCOUNT_COOKIE, ACCOUNT_COOKIE_MAX_AGE_S } from "../account-cookie.ts";

/** Keeps the wallet's address in the cookie /me redirects by (lib/account-cookie.ts). */
export function AccountCookie() {
  const { address, status } = useConnection();
  const wasConnected = useRef(false);
  useEffect(() => {
    if (status === "connected" && address) {
      wasConnected.current = true;
      document.cookie = `${ACCOUNT_COOKIE}=${address}; Path=/; Max-Age=${ACCOUNT_COOKIE_MAX_AGE_S}; SameSite=Lax`;
    } else if (status === "disconnected" && wasConnected.current) {
      // Only a disconnect the page saw: before the wallet reconnects on load it also reads
      // "disconnected", and the cookie must survive that.
      wasConnected.current = false;
      document.cookie = `${ACCOUNT_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
    }
  }, [address, status]);
  return null;
}

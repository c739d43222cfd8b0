"use client";
import { RESULT_KEY_MESSAGE, resultKeyFromSignature, type ResultKeyPair } from "@accord/client/seal";
import { signMessage } from "wagmi/actions";
import { createContext, useCallback, useContext, useRef, type ReactNode } from "react";
import { useConfig } from "wagmi";
import type { Address } from "viem";

type Ctx = { get(address: Address): Promise<ResultKeyPair> };
const KeyCtx = createContext<Ctx | null>(null);

/**
 * The requester's x25519 result key, derived from the wallet's signature of RESULT_KEY_MESSAGE.
 * It lives in this page's memory only: never stored, never sent. Reloading the page asks the
 * wallet to sign again, which gives the same key.
 */
export function ResultKeyProvider({ children }: { children: ReactNode }) {
  const config = useConfig();
  const keys = useRef(new Map<string, Promise<ResultKeyPair>>());
  const get = useCallback(
    (address: Address) => {
      const id = address.toLowerCase();
      let p = keys.current.get(id);
      if (!p) {
        p = signMessage(config, { message: RESULT_KEY_MESSAGE }).then(resultKeyFromSignature);
        p.catch(() => keys.current.delete(id));
        keys.current.set(id, p);
      }
      return p;
    },
    [config],
  );
  return <KeyCtx.Provider value={{ get }}>{children}</KeyCtx.Provider>;
}

export function useResultKey(): Ctx {
  const c = useContext(KeyCtx);
  if (!c) throw new Error("useResultKey outside ResultKeyProvider");
  return c;
}

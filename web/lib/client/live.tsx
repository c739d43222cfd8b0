"use client";
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";

type Live = { head: number | undefined; connected: boolean };
const Ctx = createContext<Live>({ head: undefined, connected: false });

/**
 * Listens to the server's block stream and refetches every API query when a new block is
 * indexed: pages stay live without polling each endpoint. EventSource reconnects by itself.
 */
export function LiveUpdates({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [live, setLive] = useState<Live>({ head: undefined, connected: false });
  const last = useRef<number | undefined>(undefined);
  useEffect(() => {
    const source = new EventSource("/api/events");
    const onHead = (e: MessageEvent) => {
      const head = Number(e.data);
      if (last.current !== undefined && last.current !== head) void queryClient.invalidateQueries({ queryKey: ["api"] });
      last.current = head;
      setLive({ head, connected: true });
    };
    source.addEventListener("head", onHead);
    source.onerror = () => setLive((prev) => ({ ...prev, connected: false }));
    return () => source.close();
  }, [queryClient]);
  return <Ctx.Provider value={live}>{children}</Ctx.Provider>;
}

export function useLive(): Live {
  return useContext(Ctx);
}

"use client";
import { useEffect, useState } from "react";

/**
 * False during server rendering and hydration, true after: wallet state exists only in the
 * browser, so what depends on it renders after hydration to match the server's HTML.
 */
export function useMounted(): boolean {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return mounted;
}

"use client";
import type { ResultBundle } from "@accord/client/sandbox";
import { useSyncExternalStore } from "react";
import { useAppConfig } from "./app-config.tsx";

/**
 * What the program itself did, as its decrypted result bundle says: the consensus outcome on
 * chain only says that a quorum returned the same bytes, and a program that printed its usage
 * and exited 2 reaches consensus as well as one that worked. The bundle is sealed to the
 * requester, so only a browser that decrypted it knows; this one remembers what it read
 * (localStorage, per market), so the job's badge and every list it shows in can say it.
 */
export type ProgramStatus = ResultBundle["status"];

const KEY_PREFIX = "accord.programStatus";
const listeners = new Set<() => void>();
const EMPTY: Record<string, ProgramStatus> = {};
let cache: { key: string; raw: string | null; value: Record<string, ProgramStatus> } | undefined;

function read(key: string): Record<string, ProgramStatus> {
  if (typeof localStorage === "undefined") return EMPTY;
  const raw = localStorage.getItem(key);
  if (cache?.key === key && cache.raw === raw) return cache.value;
  let value = EMPTY;
  try {
    value = raw ? (JSON.parse(raw) as Record<string, ProgramStatus>) : EMPTY;
  } catch {
    // A store another version wrote in a shape this one cannot read is started afresh.
  }
  cache = { key, raw, value };
  return value;
}

const storeKey = (chainId: number, market: string) => `${KEY_PREFIX}.${chainId}.${market.toLowerCase()}`;

export function rememberProgramStatus(chainId: number, market: string, jobId: string, status: ProgramStatus): void {
  const key = storeKey(chainId, market);
  localStorage.setItem(key, JSON.stringify({ ...read(key), [jobId]: status }));
  for (const fn of listeners) fn();
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  const onStorage = (e: StorageEvent) => e.key?.startsWith(KEY_PREFIX) && fn();
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(fn);
    window.removeEventListener("storage", onStorage);
  };
}

/** The statuses this browser has read, by job id (empty while server-rendering). */
export function useProgramStatuses(): Record<string, ProgramStatus> {
  const app = useAppConfig();
  const key = storeKey(app.chainId, app.jobMarket);
  return useSyncExternalStore(subscribe, () => read(key), () => EMPTY);
}

/** Did the program do what a program that worked does: exit 0? */
export const programSucceeded = (s: ProgramStatus) => s.kind === "exit" && s.code === 0;

/** Short, for a badge. */
export function programStatusLabel(s: ProgramStatus): string {
  if (s.kind === "exit") return `exit ${s.code}`;
  if (s.kind === "trap") return `trap: ${s.trap.replace(/_/g, " ")}`;
  return `${s.limit.replace(/_/g, " ")} limit`;
}

/** In words, for the result panel. */
export function programStatusText(s: ProgramStatus): string {
  if (s.kind === "exit") return `exited with code ${s.code}`;
  if (s.kind === "trap") return `trapped: ${s.trap.replace(/_/g, " ")}`;
  return `stopped at the ${s.limit.replace(/_/g, " ")} limit`;
}

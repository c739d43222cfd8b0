"use client";
import { useQuery } from "@tanstack/react-query";
import type { ApiError } from "../types.ts";

/** An API answer that was not 2xx, with the server's explanation and what to do. */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly fix?: string;
  readonly details?: string;
  constructor(status: number, body: Partial<ApiError>) {
    super(body.error ?? `The server answered ${status}.`);
    this.name = "ApiRequestError";
    this.status = status;
    this.fix = body.fix;
    this.details = body.details;
  }
}

export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { cache: "no-store", ...init });
  } catch (err) {
    throw new ApiRequestError(0, { error: "The web server could not be reached.", fix: "Check your connection and that the Accord web server is running.", details: (err as Error).message });
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiRequestError(res.status, { error: `The server answered ${res.status} with something that is not JSON.`, details: text.slice(0, 200) });
  }
  if (!res.ok) throw new ApiRequestError(res.status, body as ApiError);
  return body as T;
}

/**
 * Every API query lives under the "api" key, so one invalidation per new block refreshes them all.
 * `initial` is the answer the server rendered the page with (lib/server/initial.ts).
 */
export function useApi<T>(path: string | undefined, initial?: T) {
  return useQuery({
    queryKey: ["api", path],
    queryFn: () => fetchJson<T>(path!),
    enabled: !!path,
    initialData: initial,
    // Server-rendered data is shown at once and read again once the page runs: it may predate
    // what the index learns in the background (a manifest's fuel limit), and a quiet chain sends
    // no block to refetch on.
    refetchOnMount: initial === undefined ? true : "always",
    // A new block invalidates; meanwhile the last answer is good.
    staleTime: Number.POSITIVE_INFINITY,
    retry: (count, err) => count < 2 && (err as ApiRequestError).status >= 500,
  });
}

import { CliConfigError, DEFAULT_RPC_URL } from "./config.ts";

/**
 * The error for an RPC that did not answer the first request. "Start the local chain (`npm
 * start`)" only when the URL is the default local one and nothing listens there (connection
 * refused): a live node that was slow to answer (ten CLI processes starting at once) was told to
 * start the local chain although `--rpc-url` pointed at it.
 */
export function rpcUnreachableError(rpcUrl: string, err: unknown, timeoutMs: number): CliConfigError {
  const text = causes(err);
  const refused = /ECONNREFUSED|connection refused/i.test(text);
  const timedOut = /timed? ?out|TimeoutError|aborted/i.test(text);
  if (refused && sameUrl(rpcUrl, DEFAULT_RPC_URL))
    return new CliConfigError(`Nothing answers at ${rpcUrl} (the default local chain).`, "Start the local chain (`npm start`) or pass --rpc-url / ACCORD_RPC_URL for your chain.", err);
  if (timedOut)
    return new CliConfigError(`The RPC at ${rpcUrl} did not answer within ${timeoutMs} ms.`, "The node may be busy or far away: try again, or check the URL given by --rpc-url / ACCORD_RPC_URL.", err);
  return new CliConfigError(`The RPC at ${rpcUrl} does not answer${refused ? " (connection refused)" : ""}.`, "Check the URL given by --rpc-url / ACCORD_RPC_URL and that the node is running.", err);
}

function sameUrl(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.protocol === y.protocol && x.host === y.host && x.pathname.replace(/\/$/, "") === y.pathname.replace(/\/$/, "");
  } catch {
    return a === b;
  }
}

/** Messages, names and codes of an error and its causes. */
function causes(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; name?: string; code?: string; details?: string; cause?: unknown } | undefined, depth = 0; e && depth < 10; e = e.cause as typeof e, depth++)
    parts.push(String(e.name ?? ""), String(e.message ?? ""), String(e.code ?? ""), String(e.details ?? ""));
  return parts.join(" ");
}

import { BaseError } from "../errors.ts";

type SystemError = Error & { code?: string; port?: number; address?: string; syscall?: string };

/** The first error in a cause chain with a system error code (EADDRINUSE and friends). */
function systemError(err: unknown): SystemError | undefined {
  for (let e = err as SystemError | undefined, depth = 0; e && depth < 10; e = (e as { cause?: SystemError }).cause, depth++) {
    if (typeof e.code === "string" && /^E[A-Z]+$/.test(e.code)) return e;
    // libp2p gathers the errors of each listen address in an AggregateError.
    if (e instanceof AggregateError) for (const inner of e.errors) if (systemError(inner)) return systemError(inner);
    // libp2p's UnsupportedListenAddressesError keeps the listen errors only as text.
    const m = /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES)\b[^\n]*?\s(\S+):(\d+)\s*$/m.exec(e.message ?? "");
    if (m) return Object.assign(new Error(m[0]), { code: m[1], address: m[2], port: Number(m[3]) });
  }
  return undefined;
}

/** The library's fixes name its API in backticks (`registerProvider`); this CLI's user runs these commands instead. */
const CLI_TERMS: Record<string, string> = {
  registerProvider: "`accord-provider register`",
  stake: "`accord-provider stake`",
  withdraw: "`accord-provider withdraw`",
};
const cliFix = (fix: string) => fix.replace(/`([A-Za-z]+)`/g, (term, name: string) => CLI_TERMS[name] ?? term);

/** A failure already told in one line (by `failureLine` where the settings were known). */
export class FailureLine extends Error {
  constructor(line: string, cause: unknown) {
    super(line, { cause });
  }
}

/**
 * One line for a failed command: what went wrong and what to do, never a stack trace (those are
 * for bugs; ACCORD_DEBUG=1 prints them). `metricsPort` tells a busy metrics port from a busy libp2p port.
 */
export function failureLine(err: unknown, o: { metricsPort?: number } = {}): string {
  if (err instanceof FailureLine) return err.message;
  if (err instanceof BaseError) return [err.shortMessage, err.details, err.fix && `What to do: ${cliFix(err.fix)}`].filter(Boolean).join(" ");
  const sys = systemError(err);
  const where = sys?.port !== undefined ? `${sys.address ?? "127.0.0.1"}:${sys.port}` : "";
  const isMetrics = sys?.port !== undefined && sys.port === o.metricsPort;
  switch (sys?.code) {
    case "EADDRINUSE":
      return isMetrics
        ? `The metrics port ${where} is already in use (another provider on this host?). What to do: start with --metrics-port <free port>, 0 for any free port, or -1 for no metrics endpoint.`
        : `The libp2p listen address ${where || "(see --listen)"} is already in use (another provider on this host?). What to do: give each provider its own port with --listen /ip4/0.0.0.0/tcp/<port> (and --announce) at \`register\`, or stop what holds it.`;
    case "EADDRNOTAVAIL":
      return `The address ${where} is not one of this host's. What to do: listen on 0.0.0.0 or an address of this host (--listen), and put the public address in --announce.`;
    case "EACCES":
      return `Not allowed to listen on ${where || "that address"} (ports below 1024 need privileges). What to do: choose a port above 1024.`;
  }
  const message = (err as Error)?.message?.split("\n")[0] ?? String(err);
  return `${message} (an unexpected error: run again with ACCORD_DEBUG=1 for its stack trace, and report it).`;
}

import { MAX_RELAY_RESERVATIONS, RELAY_LIMITS, type RelayLimits, type RelayUsage } from "@accord/client/net/relay-limits";
import { ConfigFileError, InvalidConfigError } from "../errors.ts";

/**
 * The relay limits an operator may set (config file `relayLimits`, ACCORD_RELAY_LIMIT_<NAME>,
 * `--relay-limit name=value`), each with the least and most that still works. A number is in
 * the unit the name ends with (bytes, ms, a count); a string may carry a unit instead:
 * "256MiB", "10m", "1h".
 */
type Bound = { unit: "count" | "bytes" | "ms"; min: number; max: number; why: string };

/** Node's timers fire at once for any delay above this (and warn), so a longer limit would end every connection at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const RELAY_LIMIT_BOUNDS: Record<keyof RelayLimits, Bound> = {
  maxReservations: {
    unit: "count",
    min: 1,
    max: MAX_RELAY_RESERVATIONS,
    why: `each reservation holds a connection open and the node keeps at most ${MAX_RELAY_RESERVATIONS} connections; to relay for nobody set "relay": "off"`,
  },
  reservationTtlMs: { unit: "ms", min: 60_000, max: MAX_TIMER_MS, why: "libp2p's relay client refreshes a reservation no sooner than 30 s before it ends" },
  maxRelayedConnections: { unit: "count", min: 1, max: 100_000, why: `to relay nothing set "relay": "off"` },
  maxRelayedBytesPerConnection: {
    unit: "bytes",
    min: 128 * 1024,
    max: Number.MAX_SAFE_INTEGER,
    why: "below libp2p's own 128 KiB two peers cannot even identify each other and try a hole punch over the relay",
  },
  maxRelayedConnectionMs: { unit: "ms", min: 10_000, max: MAX_TIMER_MS, why: "a hole punch over the relay takes a few seconds" },
  maxInboundHopStreams: { unit: "count", min: 1, max: 10_000, why: "a peer needs one hop stream to reserve or connect" },
  maxOutboundStopStreams: { unit: "count", min: 1, max: 10_000, why: "a reservation holder needs one stop stream per relayed connection to it" },
  hopTimeoutMs: { unit: "ms", min: 1_000, max: MAX_TIMER_MS, why: "a hop request needs a round trip to the reservation holder" },
};

const UNITS: Record<Bound["unit"], Record<string, number>> = {
  count: {},
  bytes: { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 },
  ms: { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 },
};

const UNIT_HINT: Record<Bound["unit"], string> = {
  count: "a whole number",
  bytes: 'a whole number of bytes, or a size such as "256MiB" or "1GiB"',
  ms: 'a whole number of milliseconds, or a duration such as "90s", "10m" or "1h"',
};

const FIX = "Set it in the config file's \"relayLimits\", as ACCORD_RELAY_LIMIT_<NAME> (e.g. ACCORD_RELAY_LIMIT_MAX_RESERVATIONS=16), or with --relay-limit name=value; unset limits keep their defaults (docs/PROTOCOL.md, \"Behind NAT\").";

/** One relay limit's value from a number or a string with a unit, checked against its bounds. */
export function parseRelayLimit(name: string, value: unknown, label: string): number {
  if (!(name in RELAY_LIMIT_BOUNDS))
    throw new InvalidConfigError(label, `names no relay limit; known relay limits: ${Object.keys(RELAY_LIMIT_BOUNDS).join(", ")}`, FIX);
  const bound = RELAY_LIMIT_BOUNDS[name as keyof RelayLimits];
  let n: number | undefined;
  if (typeof value === "number") n = value;
  else if (typeof value === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const factor = m ? (m[2] === "" ? 1 : UNITS[bound.unit][m[2]!.toLowerCase()]) : undefined;
    if (factor !== undefined) n = Number(m![1]) * factor;
  }
  if (n === undefined || !Number.isSafeInteger(n)) throw new InvalidConfigError(label, `must be ${UNIT_HINT[bound.unit]}, not ${JSON.stringify(value)}`, FIX);
  if (n < bound.min || n > bound.max)
    throw new InvalidConfigError(label, `is ${formatRelayLimit(name as keyof RelayLimits, n)}, outside ${formatRelayLimit(name as keyof RelayLimits, bound.min)} to ${formatRelayLimit(name as keyof RelayLimits, bound.max)}: ${bound.why}`, FIX);
  return n;
}

/** The relay limits from the config file's `relayLimits`, then ACCORD_RELAY_LIMIT_<NAME>, then `--relay-limit name=value` (later ones win). */
export function parseRelayLimits(fromFile: unknown, env: NodeJS.ProcessEnv, fromFlags: unknown, configFile: string): Partial<RelayLimits> {
  const out: Partial<RelayLimits> = {};
  const set = (name: string, value: unknown, label: string) => (out[name as keyof RelayLimits] = parseRelayLimit(name, value, label));
  if (fromFile !== undefined) {
    if (typeof fromFile !== "object" || fromFile === null || Array.isArray(fromFile))
      throw new ConfigFileError(configFile, `"relayLimits" must be an object such as {"maxReservations": 16, "maxRelayedBytesPerConnection": "256MiB"}`);
    for (const [k, v] of Object.entries(fromFile)) set(k, v, `relayLimits.${k} (in ${configFile})`);
  }
  for (const name of Object.keys(RELAY_LIMIT_BOUNDS)) {
    const key = `ACCORD_RELAY_LIMIT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    if (env[key] !== undefined && env[key] !== "") set(name, env[key], key);
  }
  const flagList = fromFlags === undefined ? [] : Array.isArray(fromFlags) ? fromFlags : [fromFlags];
  for (const item of flagList) {
    const [k, v] = String(item).split("=", 2);
    if (!k || v === undefined) throw new InvalidConfigError(`--relay-limit ${item}`, "must look like name=value, e.g. --relay-limit maxReservations=16");
    set(k, v, `--relay-limit ${k}`);
  }
  return out;
}

export function effectiveRelayLimits(limits: Partial<RelayLimits> | undefined): RelayLimits {
  return { ...RELAY_LIMITS, ...limits };
}

const bytesText = (n: number) => {
  for (const [u, f] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) if (n >= f && n % f === 0) return `${n / f} ${u}`;
  return `${n} B`;
};
const msText = (n: number) => {
  for (const [u, f] of [["h", 3_600_000], ["min", 60_000], ["s", 1000]] as const) if (n >= f && n % f === 0) return `${n / f} ${u}`;
  return `${n} ms`;
};

export function formatRelayLimit(name: keyof RelayLimits, n: number): string {
  const unit = RELAY_LIMIT_BOUNDS[name].unit;
  return unit === "bytes" ? bytesText(n) : unit === "ms" ? msText(n) : String(n);
}

/** One line, the limits that matter to an operator: "64 reservations (1 h each); 128 relayed connections at once, each at most 1 GiB and 30 min". */
export function describeRelayLimits(l: RelayLimits): string {
  return (
    `${l.maxReservations} reservations (${msText(l.reservationTtlMs)} each); ${l.maxRelayedConnections} relayed connections at once, ` +
    `each at most ${bytesText(l.maxRelayedBytesPerConnection)} and ${msText(l.maxRelayedConnectionMs)}`
  );
}

/** What `status` and /health say about relaying: the limits in force and how much of them is used. */
export type RelayReport = { limits: RelayLimits } & Partial<RelayUsage>;

export function relayLine(report: RelayReport): string {
  const used = report.reservations === undefined ? "" : ` (now ${report.reservations} reservations, ${report.relayedConnections ?? 0} relayed connections)`;
  return `  relaying    for others: ${describeRelayLimits(report.limits)}${used}`;
}

import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Reachability } from "@accord/client/net";
import { relayLine, type RelayReport } from "./relay-limits.ts";

/**
 * What the daemon knows about being reached: the node's own view (public, through which
 * relays, or not at all) against the addresses the chain lists for it. `accord-provider
 * status` reads it from REACHABILITY_FILE_NAME, /health serves it.
 */
export type ReachabilityReport = {
  status: Reachability["status"];
  /** Addresses peers can dial directly. */
  direct: string[];
  /** Relays holding a reservation for this node, and the addresses through them. */
  relays: string[];
  relayed: string[];
  /** Whether this node relays for others. */
  relayServer: boolean;
  /** When it does: the limits it sets and how much of them is in use. */
  relay?: RelayReport;
  onChain: {
    addresses: string[];
    /** Every listed address is one this node is reachable at now (and there is one). */
    reachable: boolean;
    /** Listed addresses it is not reachable at (a relay it lost, an address AutoNAT did not confirm). */
    unreachable: string[];
  };
  updatedAt: string;
};

export const REACHABILITY_FILE_NAME = "reachability.json";

/** Relaying for others: "auto" (when the node has a public address), "on" or "off". */
export type RelayMode = "auto" | "on" | "off";

export function relayServe(mode: RelayMode | undefined): boolean | "auto" {
  return mode === "on" ? true : mode === "off" ? false : "auto";
}

const withoutPeer = (a: string) => a.replace(/\/p2p\/[^/]+$/, "");

/** Addresses this node can be reached at now: announced ones are the operator's word. */
export function reachableAddresses(reach: Reachability, announce?: readonly string[]): string[] {
  return announce?.length ? [...announce] : [...reach.direct, ...reach.relayed];
}

/** What to register on-chain: announced addresses, else direct ones, else the relayed ones. */
export function listingAddresses(reach: Reachability, announce: readonly string[] | undefined, max: number): string[] {
  return (announce?.length ? [...announce] : reach.advertised).slice(0, max);
}

/**
 * The chain's record still serves requesters when every address it lists is one we are
 * reachable at: a relay gained or an address added since is no reason to pay for a
 * transaction, a relay lost is. The trailing /p2p/<our id> is not part of the comparison
 * (the record may list addresses with or without it).
 */
export function listingStillValid(onChain: readonly string[], reachable: readonly string[]): boolean {
  const now = new Set(reachable.map(withoutPeer));
  return onChain.length > 0 && onChain.every((a) => now.has(withoutPeer(a)));
}

export function reachabilityReport(reach: Reachability, onChain: readonly string[], announce?: readonly string[], relay?: RelayReport): ReachabilityReport {
  const now = new Set(reachableAddresses(reach, announce).map(withoutPeer));
  const unreachable = onChain.filter((a) => !now.has(withoutPeer(a)));
  return {
    status: reach.status,
    direct: reach.direct,
    relays: reach.relays,
    relayed: reach.relayed,
    relayServer: reach.relayServer,
    ...(reach.relayServer && relay ? { relay } : {}),
    onChain: { addresses: [...onChain], reachable: onChain.length > 0 && unreachable.length === 0, unreachable },
    updatedAt: new Date().toISOString(),
  };
}

/** Written whole and renamed into place, so `status` never reads half a file. */
export function writeReachabilityFile(dataDir: string, report: ReachabilityReport): void {
  const path = join(dataDir, REACHABILITY_FILE_NAME);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(report, null, 2) + "\n");
  renameSync(tmp, path);
}

export function readReachabilityFile(dataDir: string): ReachabilityReport | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, REACHABILITY_FILE_NAME), "utf8")) as ReachabilityReport;
  } catch {
    return undefined;
  }
}

/** The lines `accord-provider status` prints about reachability. */
export function reachabilityLines(report: ReachabilityReport | undefined): string[] {
  if (!report) return ["  reachable   unknown (the daemon has not run here yet: `accord-provider start`)"];
  const how =
    report.status === "public"
      ? `yes, directly at ${report.direct.join(", ")}`
      : report.status === "relayed"
        ? `through relay ${report.relays.join(", ")} only (behind NAT; no direct address)`
        : report.status === "unreachable"
          ? "NO: no public address and no relay reservation; the node does not bid (open a port and --announce it, or let it reach a relay)"
          : "still finding out";
  const chain = report.onChain.addresses.length
    ? report.onChain.reachable
      ? "on-chain addresses reachable"
      : `on-chain addresses NOT all reachable: ${report.onChain.unreachable.join(", ")} (the daemon updates the listing)`
    : "no address on-chain";
  return [
    `  reachable   ${how}${report.relayServer ? "; relays for others" : ""}`,
    ...(report.relay ? [relayLine(report.relay)] : []),
    `  listing     ${chain}; as of ${report.updatedAt}`,
  ];
}

/**
 * A change of reachability is acted on (the on-chain listing checked) once it has held this
 * long: losing a relay and taking another is one change, and one transaction at most.
 */
export const LISTING_SETTLE_MS = 3_000;

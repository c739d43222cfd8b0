import type { Reachability } from "@accord/client/net";
import { LOG_EVENTS } from "../log-events.ts";
import type { ProviderComponents } from "./components.ts";
import type { ListingService } from "./listing.ts";
import type { ProviderService } from "./service.ts";

/**
 * Waits for the node's first reachability verdict and says what it means for bidding: a
 * winner nobody can fetch from could never deliver its result, so an unreachable node does not bid.
 */
export async function firstReachability(c: Pick<ProviderComponents, "config" | "log" | "node" | "signal">): Promise<Reachability> {
  const first = await c.node.reachability.settled(c.signal);
  if (first.status === "unreachable")
    c.log.error(
      { event: LOG_EVENTS.unreachable, listen: c.config.listen },
      "this node cannot be reached: no public address and no relay reservation, so it will not bid. Open the port and --announce the public address, or give it --bootstrap peers that relay (providers with a public address do)",
    );
  else if (first.status === "relayed") c.log.warn({ event: LOG_EVENTS.relayed, relays: first.relays }, "behind NAT: reachable only through relays (content crosses them unless DCUtR makes a direct connection)");
  return first;
}

/**
 * Follows reachability after the first verdict: logs each change of status, rewrites the
 * reachability file, and has the listing checked once the change has held (a relay lost or
 * gained, an address confirmed or dropped).
 */
export function reachabilityWatch(c: Pick<ProviderComponents, "log" | "node">, listing: ListingService, first: Reachability): ProviderService {
  let unsubscribe = () => {};
  return {
    name: "reachability watch",
    start() {
      let lastStatus = first.status;
      unsubscribe = c.node.reachability.subscribe((r) => {
        if (r.status !== lastStatus) {
          (r.status === "unreachable" ? c.log.error.bind(c.log) : c.log.info.bind(c.log))({ status: r.status, relays: r.relays }, r.status === "unreachable" ? "this node can no longer be reached; it stops bidding until it can" : "reachability changed");
          lastStatus = r.status;
        }
        listing.writeReport();
        listing.checkSoon();
      });
    },
    stop: () => unsubscribe(),
  };
}

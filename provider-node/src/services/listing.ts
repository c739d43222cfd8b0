import { toHex } from "viem";
import { relayUsage } from "@accord/client/net";
import { readProvider } from "@accord/client/chain";
import { MAX_REGISTERED_MULTIADDRS, registerOrUpdate } from "../chain/account.ts";
import { LOG_EVENTS } from "../log-events.ts";
import { LISTING_SETTLE_MS, listingAddresses, listingStillValid, reachabilityReport, reachableAddresses, writeReachabilityFile, type ReachabilityReport } from "../net/reachability.ts";
import { effectiveRelayLimits } from "../net/relay-limits.ts";
import type { ProviderComponents } from "./components.ts";
import { everyService, type ProviderService } from "./service.ts";

export type ListingService = ProviderService & {
  /** The addresses the on-chain record should hold now (empty while unreachable). */
  addresses(): string[];
  /** Reachability as the operator sees it (`accord-provider status`, /health), with what the chain lists. */
  report(): ReachabilityReport;
  writeReport(): void;
  /** Checks the listing once a change has held for LISTING_SETTLE_MS (a relay gained and lost at once costs no transaction). */
  checkSoon(): void;
};

/**
 * Keeps the provider's on-chain record leading requesters to this node: checked at start,
 * every limits.addressCheckIntervalMs and after reachability changes, updated only when the
 * listed addresses no longer reach it (or the peer id or ask price changed).
 */
export function listingService(c: Pick<ProviderComponents, "config" | "limits" | "log" | "signal" | "chain" | "me" | "node">, askPrice: bigint): ListingService {
  const { config, log, signal, chain, me, node } = c;
  const relayLimits = effectiveRelayLimits(config.relayLimits);
  let onChain: readonly string[] = [];
  let settle: NodeJS.Timeout | undefined;

  const addresses = () => listingAddresses(node.reachability.get(), config.announce, MAX_REGISTERED_MULTIADDRS);
  const report = () => reachabilityReport(node.reachability.get(), onChain, config.announce, { limits: relayLimits, ...relayUsage(node.libp2p) });
  const writeReport = () => writeReachabilityFile(config.dataDir, report());

  const check = async () => {
    try {
      const info = await readProvider(chain.client, chain.market, me);
      onChain = info.multiaddrs;
      writeReport();
      if (!info.registered) {
        log.warn({ address: me }, "not registered on the JobMarket: run `accord-provider register` and `stake`; the node bids once registered");
        return;
      }
      // Nothing to list (unreachable), or the record still leads requesters here: no transaction.
      if (addresses().length === 0) return;
      const sameKey = info.peerId.toLowerCase() === toHex(node.peerId.toMultihash().bytes) && info.askPrice === askPrice;
      if (sameKey && listingStillValid(info.multiaddrs, reachableAddresses(node.reachability.get(), config.announce))) return;
      const result = await registerOrUpdate(chain, { peerId: node.peerId.toMultihash().bytes, multiaddrs: addresses(), askPrice }, signal);
      if (result !== "unchanged") {
        log.info({ event: LOG_EVENTS.listingUpdated, multiaddrs: addresses() }, "updated the on-chain listing");
        onChain = addresses();
        writeReport();
      }
    } catch (err) {
      if (!signal.aborted) log.warn({ err: (err as Error).message.split("\n")[0] }, "could not check the on-chain listing; will try again");
    }
  };

  const periodic = everyService("listing check", c.limits.addressCheckIntervalMs, check);
  return {
    name: "listing",
    addresses,
    report,
    writeReport,
    checkSoon() {
      clearTimeout(settle);
      settle = setTimeout(() => void check(), LISTING_SETTLE_MS);
      settle.unref();
    },
    async start() {
      await check();
      periodic.start();
    },
    stop() {
      periodic.stop();
      clearTimeout(settle);
    },
  };
}

import { startMetricsServer, type HealthReport, type MetricsServer } from "../metrics/server.ts";
import type { ProviderComponents } from "./components.ts";
import type { ListingService } from "./listing.ts";
import type { MarketWatcherService } from "./market-watcher.ts";
import type { ProviderService } from "./service.ts";

/** The daemon's health as /health and `Provider.health()` give it. */
export function healthReport(c: Pick<ProviderComponents, "config" | "signal" | "me" | "journal" | "node" | "rpc">, listing: ListingService, watcher: MarketWatcherService): () => HealthReport {
  return () => ({
    status: c.signal.aborted ? "stopping" : c.rpc.up && c.node.reachability.get().status !== "unreachable" ? "ok" : "degraded",
    address: c.me,
    peerId: c.node.peerId.toString(),
    rpc: c.rpc.up ? "up" : "down",
    lastBlock: c.journal.lastBlock(),
    msSinceLastBlock: Date.now() - watcher.lastBlockAtMs,
    jobsInFlight: c.journal.active().length,
    fault: c.config.fault,
    reachability: listing.report(),
  });
}

export type MetricsEndpointService = ProviderService & {
  /** http://127.0.0.1:port once started; undefined when config.metricsPort is negative (off). */
  readonly url: string | undefined;
};

/** /metrics (Prometheus) and /health over HTTP on config.metricsPort (0: any free port; negative: off). */
export function metricsEndpoint(c: Pick<ProviderComponents, "config" | "metrics">, health: () => HealthReport): MetricsEndpointService {
  let server: MetricsServer | undefined;
  return {
    name: "metrics endpoint",
    get url() {
      return server?.url;
    },
    async start() {
      if ((c.config.metricsPort ?? 0) >= 0) server = await startMetricsServer(c.config.metricsPort ?? 0, c.metrics, health);
    },
    stop: () => server?.stop(),
  };
}

import { join } from "node:path";
import type { Logger } from "pino";
import type { Address } from "viem";
import type { AccordNode } from "@accord/client/net";
import { connectChain } from "./chain/clients.ts";
import { DEFAULT_PRICING, JOURNAL_FILE_NAME, PROVIDER_LIMITS, type ProviderLimits } from "./constants.ts";
import type { ProviderConfig } from "./config/config.ts";
import { ChainClock } from "./jobs/chain-clock.ts";
import { Journal } from "./journal/journal.ts";
import { createLogger } from "./log.ts";
import { createMetrics, type ProviderMetrics } from "./metrics/metrics.ts";
import type { HealthReport } from "./metrics/server.ts";
import type { ProviderComponents } from "./services/components.ts";
import { startContentNode } from "./services/content-node.ts";
import { deadlineTicks } from "./services/deadline-ticks.ts";
import { providerSandboxPool, startJobDriver } from "./services/job-driver.ts";
import { listingService } from "./services/listing.ts";
import { marketWatcher } from "./services/market-watcher.ts";
import { healthReport, metricsEndpoint } from "./services/metrics-endpoint.ts";
import { firstReachability, reachabilityWatch } from "./services/reachability-watch.ts";
import { retentionSweep } from "./services/retention.ts";
import { RpcStatus } from "./services/rpc-status.ts";
import { resource, ServiceStack } from "./services/service.ts";
import { scheduledWithdrawals } from "./services/withdrawals.ts";

export type StartProviderOptions = {
  /** A logger to use instead of JSON lines on stderr. */
  logger?: Logger;
  signal?: AbortSignal;
};

export type Provider = {
  address: Address;
  peerId: string;
  /** Multiaddrs of the node's libp2p/content node. */
  multiaddrs: string[];
  market: Address;
  /** http://127.0.0.1:port of /metrics and /health (undefined when disabled). */
  metricsUrl?: string;
  journal: Journal;
  metrics: ProviderMetrics;
  node: AccordNode;
  health(): HealthReport;
  /** Stops taking work, lets steps reach a safe point, closes everything. Idempotent. */
  stop(): Promise<void>;
};

/**
 * Starts a provider: journal, chain connection, libp2p/content node, sandbox pool, the job
 * driver, and the services that keep the listing current and follow the market (services/),
 * each started once what it uses is and stopped in the reverse order. Everything it owes
 * from a previous run (bids, commits, reveals) is resumed from the journal.
 */
export async function startProvider(config: ProviderConfig, options: StartProviderOptions = {}): Promise<Provider> {
  const limits: ProviderLimits = { ...PROVIDER_LIMITS, ...config.limits };
  const log = options.logger ?? createLogger({ level: config.logLevel });
  const stopping = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stopping.signal]) : stopping.signal;
  const metrics = createMetrics();
  const services = new ServiceStack(log);

  try {
    const journal = new Journal(join(config.dataDir, JOURNAL_FILE_NAME), { busyTimeoutMs: limits.journalBusyTimeoutMs });
    await services.start(resource("journal", () => journal.close()));
    journal.lock();
    await services.start(resource("journal lock", () => journal.unlock()));

    const rpc = new RpcStatus(metrics, log);
    // Salts reach the disk before any batch that may carry their commitments (one fsync a batch).
    const chain = await connectChain({ rpcUrl: config.rpcUrl, privateKey: config.privateKey, market: config.market, limits, onRetry: (what, err, retryInMs) => rpc.failed(what, err, retryInMs), beforeSend: () => journal.flush(), signal });
    metrics.rpcUp.set(1);

    const node = await startContentNode({ config, limits, chain, signal });
    await services.start(resource("node", () => node.stop()));
    const firstReach = await firstReachability({ config, log, node, signal });
    const pool = providerSandboxPool({ config, limits });
    await services.start(resource("sandbox pool", () => pool.close()));

    const clock = new ChainClock();
    clock.observe((await chain.client.getBlock({ blockTag: "latest" })).timestamp);
    const pricing = { ...DEFAULT_PRICING, ...config.pricing };
    const me = chain.account.address;
    const driver = await startJobDriver({ config, limits, log, metrics, signal, chain, me, journal, node, clock }, pool, pricing);
    await services.start(resource("job driver", () => driver.idle()));

    const c: ProviderComponents = { config, limits, log, metrics, signal, chain, me, journal, node, driver, clock, rpc };
    const listing = await services.start(listingService(c, config.askPrice ?? pricing.pricePerGigaFuel));
    await services.start(reachabilityWatch(c, listing, firstReach));
    const resumed = driver.resumeAll();
    const watcher = await services.start(marketWatcher(c));
    await services.start(deadlineTicks(c));
    const withdrawals = scheduledWithdrawals(c);
    if (withdrawals) await services.start(withdrawals);
    await services.start(retentionSweep(c));
    const health = healthReport(c, listing, watcher);
    const endpoint = await services.start(metricsEndpoint(c, health));

    log.info(
      { address: me, market: chain.market, chainId: chain.chainId, peerId: node.peerId.toString(), multiaddrs: listing.addresses(), metrics: endpoint.url, resumedJobs: resumed, lastBlock: journal.lastBlock()?.toString() },
      "provider started",
    );

    let stopped: Promise<void> | undefined;
    return {
      address: me,
      peerId: node.peerId.toString(),
      multiaddrs: listing.addresses(),
      market: chain.market,
      metricsUrl: endpoint.url,
      journal,
      metrics,
      node,
      health,
      stop: () =>
        (stopped ??= (async () => {
          log.info("stopping");
          stopping.abort();
          await services.stop();
          log.info("stopped");
        })()),
    };
  } catch (err) {
    stopping.abort();
    await services.stop();
    throw err;
  }
}

import { join } from "node:path";
import type { Logger } from "pino";
import { toHex, type Address } from "viem";
import { createAccordNode, relayUsage, serveDeclines, type AccordNode } from "@accord/client/net";
import { providerRegistry, readProvider } from "@accord/client/chain";
import { createSandboxPool, type SandboxPool } from "@accord/client/sandbox";
import { parseCid } from "@accord/client/content";
import { MAX_REGISTERED_MULTIADDRS, registerOrUpdate, withdrawable, withdrawAll } from "./chain/account.ts";
import { connectChain } from "./chain/clients.ts";
import { directContentPeers } from "./work/sources.ts";
import { runWatcher } from "./chain/watcher.ts";
import { DEFAULT_PRICING, JOURNAL_FILE_NAME, MODULE_CACHE_DIR_NAME, NODE_DIR_NAME, PROVIDER_LIMITS, type ProviderLimits } from "./constants.ts";
import type { ProviderConfig } from "./config/config.ts";
import { behaviourFor } from "./faults.ts";
import { ChainClock } from "./jobs/chain-clock.ts";
import { JobDriver } from "./jobs/driver.ts";
import { Journal } from "./journal/journal.ts";
import { createLogger } from "./log.ts";
import { LISTING_SETTLE_MS, listingAddresses, listingStillValid, reachabilityReport, reachableAddresses, relayServe, writeReachabilityFile } from "./net/reachability.ts";
import { effectiveRelayLimits } from "./net/relay-limits.ts";
import { createMetrics, type ProviderMetrics } from "./metrics/metrics.ts";
import { startMetricsServer, type HealthReport, type MetricsServer } from "./metrics/server.ts";
import { LOG_EVENTS } from "./log-events.ts";

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
 * Starts a provider: journal, chain connection, libp2p/content node, sandbox pool, metrics,
 * and the services that follow the market and drive each job. Everything it owes from a
 * previous run (bids, commits, reveals) is resumed from the journal.
 */
export async function startProvider(config: ProviderConfig, options: StartProviderOptions = {}): Promise<Provider> {
  const limits: ProviderLimits = { ...PROVIDER_LIMITS, ...config.limits };
  const log = options.logger ?? createLogger({ level: config.logLevel });
  const stopping = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stopping.signal]) : stopping.signal;
  const metrics = createMetrics();
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch((err) => log.error({ err }, "error while stopping"));
  };

  try {
    const journal = new Journal(join(config.dataDir, JOURNAL_FILE_NAME), { busyTimeoutMs: limits.journalBusyTimeoutMs });
    cleanups.push(() => journal.close());
    journal.lock();
    cleanups.push(() => journal.unlock());

    let rpcUp = true;
    const onRpcError = (what: string, err: unknown, retryInMs: number) => {
      metrics.rpcRetries.inc();
      metrics.rpcUp.set(0);
      if (rpcUp) log.warn({ what, err: (err as Error).message.split("\n")[0], retryInMs }, "chain RPC unreachable; retrying");
      rpcUp = false;
    };
    // Salts reach the disk before any batch that may carry their commitments (one fsync a batch).
    const chain = await connectChain({ rpcUrl: config.rpcUrl, privateKey: config.privateKey, market: config.market, limits, onRetry: onRpcError, beforeSend: () => journal.flush(), signal });
    metrics.rpcUp.set(1);

    const node = await createAccordNode({
      dataDir: join(config.dataDir, NODE_DIR_NAME),
      listen: config.listen,
      announce: config.announce,
      bootstrap: config.bootstrap,
      privateAddresses: config.privateAddresses,
      relay: { serve: relayServe(config.relay), limits: config.relayLimits },
      // Registered providers are the peers the node joins through; their peer ids also tell
      // requesters apart from them (directContentPeers), so the registry is read more often than a node needs.
      providerRegistry: providerRegistry(chain.client, { address: chain.market, fromBlock: chain.startBlock ?? config.fromBlock ?? 0n }),
      registryIntervalMs: limits.providerPeersRefreshMs,
      signal,
    });
    cleanups.push(() => node.stop());
    // Whether requesters can reach this node decides whether it may bid: a winner nobody can
    // fetch from could never deliver its result.
    const firstReach = await node.reachability.settled(signal);
    if (firstReach.status === "unreachable")
      log.error(
        { event: LOG_EVENTS.unreachable, listen: config.listen },
        "this node cannot be reached: no public address and no relay reservation, so it will not bid. Open the port and --announce the public address, or give it --bootstrap peers that relay (providers with a public address do)",
      );
    else if (firstReach.status === "relayed") log.warn({ event: LOG_EVENTS.relayed, relays: firstReach.relays }, "behind NAT: reachable only through relays (content crosses them unless DCUtR makes a direct connection)");
    // Prepared modules live with the node's data, so a restarted daemon skips preparing them again.
    const pool: SandboxPool = createSandboxPool({
      size: Math.max(1, limits.workers),
      maxQueued: limits.workers * limits.maxQueuedJobsPerWorker * 2 + 16,
      cacheDir: join(config.dataDir, MODULE_CACHE_DIR_NAME),
    });
    cleanups.push(() => pool.close());

    const clock = new ChainClock();
    clock.observe((await chain.client.getBlock({ blockTag: "latest" })).timestamp);
    const pricing = { ...DEFAULT_PRICING, ...config.pricing };
    const me = chain.account.address;
    const driver = new JobDriver({
      chain,
      journal,
      content: node.content,
      pool,
      metrics,
      log,
      policy: { pricing, limits, allowRequesters: config.allowRequesters, denyRequesters: config.denyRequesters },
      limits,
      behaviour: behaviourFor(config.fault),
      clock,
      signal,
      me,
      contentPeers: directContentPeers(node.libp2p, node.registeredPeers, limits.maxDirectContentPeers),
    });
    cleanups.push(() => driver.idle());
    // Requesters ask why this node has not bid for their job (DECLINES_PROTOCOL): answered from memory and the journal.
    await serveDeclines(node, (jobId) => driver.declinesStatement(jobId));
    if (config.fault) log.warn({ fault: config.fault }, "FAULT MODE: this node misbehaves on purpose and will be slashed (tests and demos only)");

    const nodeAddrs = () => listingAddresses(node.reachability.get(), config.announce, MAX_REGISTERED_MULTIADDRS);
    const askPrice = config.askPrice ?? pricing.pricePerGigaFuel;
    let onChain: readonly string[] = [];
    const relayLimits = effectiveRelayLimits(config.relayLimits);
    const report = () => reachabilityReport(node.reachability.get(), onChain, config.announce, { limits: relayLimits, ...relayUsage(node.libp2p) });
    const keepListingCurrent = async () => {
      try {
        const info = await readProvider(chain.client, chain.market, me);
        onChain = info.multiaddrs;
        writeReachabilityFile(config.dataDir, report());
        if (!info.registered) {
          log.warn({ address: me }, "not registered on the JobMarket: run `accord-provider register` and `stake`; the node bids once registered");
          return;
        }
        // Nothing to list (unreachable), or the record still leads requesters here: no transaction.
        if (nodeAddrs().length === 0) return;
        const sameKey = info.peerId.toLowerCase() === toHex(node.peerId.toMultihash().bytes) && info.askPrice === askPrice;
        if (sameKey && listingStillValid(info.multiaddrs, reachableAddresses(node.reachability.get(), config.announce))) return;
        const result = await registerOrUpdate(chain, { peerId: node.peerId.toMultihash().bytes, multiaddrs: nodeAddrs(), askPrice }, signal);
        if (result !== "unchanged") {
          log.info({ event: LOG_EVENTS.listingUpdated, multiaddrs: nodeAddrs() }, "updated the on-chain listing");
          onChain = nodeAddrs();
          writeReachabilityFile(config.dataDir, report());
        }
      } catch (err) {
        if (!signal.aborted) log.warn({ err: (err as Error).message.split("\n")[0] }, "could not check the on-chain listing; will try again");
      }
    };
    await keepListingCurrent();
    every(limits.addressCheckIntervalMs, keepListingCurrent, cleanups);
    // A relay lost or gained, an address confirmed or dropped: the listing is checked once the change has held.
    let settle: NodeJS.Timeout | undefined;
    let lastStatus = firstReach.status;
    const unsubscribe = node.reachability.subscribe((r) => {
      if (r.status !== lastStatus) {
        (r.status === "unreachable" ? log.error.bind(log) : log.info.bind(log))({ status: r.status, relays: r.relays }, r.status === "unreachable" ? "this node can no longer be reached; it stops bidding until it can" : "reachability changed");
        lastStatus = r.status;
      }
      writeReachabilityFile(config.dataDir, report());
      clearTimeout(settle);
      settle = setTimeout(() => void keepListingCurrent(), LISTING_SETTLE_MS);
      settle.unref();
    });
    cleanups.push(() => {
      unsubscribe();
      clearTimeout(settle);
    });

    const resumed = driver.resumeAll();
    let lastBlockAtMs = Date.now();
    const watcher = runWatcher({
      chain,
      journal,
      limits,
      fromBlock: config.fromBlock ?? chain.startBlock ?? (await chain.client.getBlockNumber()),
      // A job posted while nobody can reach this node is not for it: it could not deliver.
      onEvent: (ev, live) => {
        if (ev.eventName === "JobPosted" && node.reachability.get().status === "unreachable") {
          log.warn({ event: LOG_EVENTS.notBiddingUnreachable, jobId: String((ev.args as { jobId?: bigint }).jobId) }, "not bidding: this node cannot be reached");
          return;
        }
        driver.onEvent(ev, live);
      },
      onBlock: (number, timestamp) => {
        if (!rpcUp) log.info({ block: number.toString() }, "chain RPC reachable again");
        rpcUp = true;
        metrics.rpcUp.set(1);
        metrics.lastBlock.set(Number(number));
        lastBlockAtMs = Date.now();
        if (timestamp !== undefined) clock.observe(timestamp);
        driver.tick();
      },
      onRpcError: (err, retryInMs) => onRpcError("follow market events", err, retryInMs),
      signal,
    }).catch((err) => {
      if (!signal.aborted) log.fatal({ err }, "the market watcher stopped");
    });
    cleanups.push(() => watcher);
    // Deadlines pass on the chain's clock even when no block arrives (an idle devnet).
    every(limits.pollIntervalMs, async () => driver.tick(), cleanups);

    if (limits.withdrawIntervalMs > 0)
      every(limits.withdrawIntervalMs, async () => {
        try {
          if ((await withdrawable(chain)) < limits.minWithdrawAmount) return;
          const { earnings } = await withdrawAll(chain, signal);
          metrics.withdrawn.inc(Number(earnings));
          log.info({ earnings: earnings.toString() }, "withdrew earnings");
        } catch (err) {
          if (!signal.aborted) log.warn({ err: (err as Error).message.split("\n")[0] }, "scheduled withdrawal failed; will try again");
        }
      }, cleanups);

    every(limits.retentionSweepIntervalMs, async () => {
      const due = journal.expiredRetention(Date.now());
      for (const rec of due) {
        if (rec.sealedCid) await node.content.unpin(parseCid(rec.sealedCid)).catch(() => {});
        journal.update(rec.jobId, { retainUntilMs: undefined });
      }
      if (due.length) {
        await node.content.gc({ signal }).catch(() => {});
        log.info({ unpinned: due.length }, "released sealed results past their retention");
      }
    }, cleanups);

    const health = (): HealthReport => ({
      status: signal.aborted ? "stopping" : rpcUp && node.reachability.get().status !== "unreachable" ? "ok" : "degraded",
      address: me,
      peerId: node.peerId.toString(),
      rpc: rpcUp ? "up" : "down",
      lastBlock: journal.lastBlock(),
      msSinceLastBlock: Date.now() - lastBlockAtMs,
      jobsInFlight: journal.active().length,
      fault: config.fault,
      reachability: report(),
    });
    let server: MetricsServer | undefined;
    if ((config.metricsPort ?? 0) >= 0) {
      server = await startMetricsServer(config.metricsPort ?? 0, metrics, health);
      cleanups.push(() => server!.stop());
    }

    log.info(
      { address: me, market: chain.market, chainId: chain.chainId, peerId: node.peerId.toString(), multiaddrs: nodeAddrs(), metrics: server?.url, resumedJobs: resumed, lastBlock: journal.lastBlock()?.toString() },
      "provider started",
    );

    let stopped: Promise<void> | undefined;
    return {
      address: me,
      peerId: node.peerId.toString(),
      multiaddrs: nodeAddrs(),
      market: chain.market,
      metricsUrl: server?.url,
      journal,
      metrics,
      node,
      health,
      stop: () =>
        (stopped ??= (async () => {
          log.info("stopping");
          stopping.abort();
          await cleanup();
          log.info("stopped");
        })()),
    };
  } catch (err) {
    stopping.abort();
    await cleanup();
    throw err;
  }
}

/** Runs `fn` every `ms` (never overlapping itself) until stopped. */
function every(ms: number, fn: () => Promise<unknown>, cleanups: Array<() => unknown>): void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    fn().finally(() => (running = false));
  }, ms);
  timer.unref();
  cleanups.push(() => clearInterval(timer));
}

import { join } from "node:path";
import type { Logger } from "pino";
import type { Address } from "viem";
import { createAccordNode, serveDeclines, type AccordNode } from "@accord/client/net";
import { readProvider } from "@accord/client/chain";
import { createSandboxPool, type SandboxPool } from "@accord/client/sandbox";
import { parseCid } from "@accord/client/content";
import { registerOrUpdate, withdrawable, withdrawAll } from "./chain/account.ts";
import { connectChain } from "./chain/clients.ts";
import { registeredPeers } from "./chain/peers.ts";
import { directContentPeers, peerIdsOf } from "./work/sources.ts";
import { runWatcher } from "./chain/watcher.ts";
import { DEFAULT_PRICING, JOURNAL_FILE_NAME, MODULE_CACHE_DIR_NAME, NODE_DIR_NAME, PROVIDER_LIMITS, type ProviderLimits } from "./constants.ts";
import type { ProviderConfig } from "./config/config.ts";
import { ChainClock } from "./jobs/chain-clock.ts";
import { JobDriver } from "./jobs/driver.ts";
import { Journal } from "./journal/journal.ts";
import { createLogger } from "./log.ts";
import { createMetrics, type ProviderMetrics } from "./metrics/metrics.ts";
import { startMetricsServer, type HealthReport, type MetricsServer } from "./metrics/server.ts";

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

    // Registered providers' peer ids, so that job content is asked of the other peers (requesters) first.
    const providerPeers = new Set<string>();
    const discover = registeredPeers(chain, chain.startBlock ?? config.fromBlock ?? 0n);
    const node = await createAccordNode({
      dataDir: join(config.dataDir, NODE_DIR_NAME),
      listen: config.listen,
      announce: config.announce,
      bootstrap: config.bootstrap,
      discoverPeers: async (o) => {
        const addrs = await discover(o);
        for (const id of peerIdsOf(addrs)) providerPeers.add(id);
        return addrs;
      },
      signal,
    });
    cleanups.push(() => node.stop());
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
      fault: config.fault,
      clock,
      signal,
      me,
      contentPeers: directContentPeers(node.libp2p, providerPeers, limits.maxDirectContentPeers),
    });
    cleanups.push(() => driver.idle());
    // Requesters ask why this node has not bid for their job (DECLINES_PROTOCOL): answered from memory and the journal.
    await serveDeclines(node, (jobId) => driver.declinesStatement(jobId));
    if (config.fault) log.warn({ fault: config.fault }, "FAULT MODE: this node misbehaves on purpose and will be slashed (tests and demos only)");

    const nodeAddrs = () => (config.announce?.length ? config.announce : node.multiaddrs.map((a) => a.toString()));
    const askPrice = config.askPrice ?? pricing.pricePerGigaFuel;
    const keepListingCurrent = async () => {
      try {
        const info = await readProvider(chain.client, chain.market, me);
        if (!info.registered) {
          log.warn({ address: me }, "not registered on the JobMarket: run `accord-provider register` and `stake`; the node bids once registered");
          return;
        }
        const result = await registerOrUpdate(chain, { peerId: node.peerId.toMultihash().bytes, multiaddrs: nodeAddrs(), askPrice }, signal);
        if (result !== "unchanged") log.info({ multiaddrs: nodeAddrs() }, "updated the on-chain listing");
      } catch (err) {
        if (!signal.aborted) log.warn({ err: (err as Error).message.split("\n")[0] }, "could not check the on-chain listing; will try again");
      }
    };
    await keepListingCurrent();
    every(limits.addressCheckIntervalMs, keepListingCurrent, cleanups);
    // Providers that registered or moved since the node joined.
    every(limits.providerPeersRefreshMs, async () => {
      for (const id of peerIdsOf(await discover({ signal }).catch(() => []))) providerPeers.add(id);
    }, cleanups);

    const resumed = driver.resumeAll();
    let lastBlockAtMs = Date.now();
    const watcher = runWatcher({
      chain,
      journal,
      limits,
      fromBlock: config.fromBlock ?? chain.startBlock ?? (await chain.client.getBlockNumber()),
      onEvent: (ev, live) => driver.onEvent(ev, live),
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
      status: signal.aborted ? "stopping" : rpcUp ? "ok" : "degraded",
      address: me,
      peerId: node.peerId.toString(),
      rpc: rpcUp ? "up" : "down",
      lastBlock: journal.lastBlock(),
      msSinceLastBlock: Date.now() - lastBlockAtMs,
      jobsInFlight: journal.active().length,
      fault: config.fault,
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

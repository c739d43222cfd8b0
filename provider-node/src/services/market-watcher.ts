import { runWatcher } from "../chain/watcher.ts";
import { LOG_EVENTS } from "../log-events.ts";
import type { ProviderComponents } from "./components.ts";
import type { ProviderService } from "./service.ts";

export type MarketWatcherService = ProviderService & {
  /** Date.now() when the last block range was handled (start time until then). */
  readonly lastBlockAtMs: number;
};

/**
 * Follows the market's events into the job driver, from the block after the last one the
 * journal handled; each block range advances the chain clock and ticks the driver. Stops
 * with the daemon's signal; stop() waits for the range being handled.
 */
export function marketWatcher(c: Pick<ProviderComponents, "config" | "limits" | "log" | "metrics" | "signal" | "chain" | "journal" | "node" | "driver" | "clock" | "rpc">): MarketWatcherService {
  const { log, signal, node, driver } = c;
  let lastBlockAtMs = Date.now();
  let running: Promise<void> | undefined;
  return {
    name: "market watcher",
    get lastBlockAtMs() {
      return lastBlockAtMs;
    },
    async start() {
      lastBlockAtMs = Date.now();
      const fromBlock = c.config.fromBlock ?? c.chain.startBlock ?? (await c.chain.client.getBlockNumber());
      running = runWatcher({
        chain: c.chain,
        journal: c.journal,
        limits: c.limits,
        fromBlock,
        // A job posted while nobody can reach this node is not for it: it could not deliver. Nor is
        // the escalation of a job it has no record of, which the driver would take up as a post.
        onEvent: (ev, live) => {
          const jobId = (ev.args as { jobId?: bigint }).jobId;
          const newToThisNode = ev.eventName === "JobPosted" || (ev.eventName === "JobEscalated" && jobId !== undefined && !c.journal.get(jobId));
          if (newToThisNode && node.reachability.get().status === "unreachable") {
            log.warn({ event: LOG_EVENTS.notBiddingUnreachable, jobId: String(jobId) }, "not bidding: this node cannot be reached");
            return;
          }
          driver.onEvent(ev, live);
        },
        onBlock: (number, timestamp) => {
          c.chain.sender.observeBlock(number);
          c.rpc.answered(number);
          c.metrics.lastBlock.set(Number(number));
          lastBlockAtMs = Date.now();
          if (timestamp !== undefined) c.clock.observe(timestamp);
          driver.tick();
        },
        onRpcError: (err, retryInMs) => c.rpc.failed("follow market events", err, retryInMs),
        signal,
      }).catch((err) => {
        if (!signal.aborted) log.fatal({ err }, "the market watcher stopped");
      });
    },
    stop: () => running,
  };
}

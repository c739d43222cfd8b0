import { join } from "node:path";
import { serveDeclines } from "@accord/client/net";
import { createSandboxPool, type SandboxPool } from "@accord/client/sandbox";
import type { Pricing } from "../config/config.ts";
import { MODULE_CACHE_DIR_NAME } from "../constants.ts";
import { behaviourFor } from "../faults.ts";
import { JobDriver } from "../jobs/driver.ts";
import { directContentPeers } from "../work/sources.ts";
import type { ProviderComponents } from "./components.ts";

/** The sandbox pool jobs run in; prepared modules live with the node's data, so a restarted daemon skips preparing them again. */
export function providerSandboxPool(c: Pick<ProviderComponents, "config" | "limits">): SandboxPool {
  return createSandboxPool({
    size: Math.max(1, c.limits.workers),
    maxQueued: c.limits.workers * c.limits.maxQueuedJobsPerWorker * 2 + 16,
    cacheDir: join(c.config.dataDir, MODULE_CACHE_DIR_NAME),
  });
}

/** The job driver, which bids, runs, commits and reveals each job, answering requesters who ask why it has not bid. */
export async function startJobDriver(c: Omit<ProviderComponents, "driver" | "rpc">, pool: SandboxPool, pricing: Pricing): Promise<JobDriver> {
  const { config, limits, log, node } = c;
  const driver = new JobDriver({
    chain: c.chain,
    journal: c.journal,
    content: node.content,
    pool,
    metrics: c.metrics,
    log,
    policy: { pricing, limits, allowRequesters: config.allowRequesters, denyRequesters: config.denyRequesters },
    limits,
    behaviour: behaviourFor(config.fault),
    clock: c.clock,
    signal: c.signal,
    me: c.me,
    contentPeers: directContentPeers(node.libp2p, node.registeredPeers, limits.maxDirectContentPeers),
  });
  // Requesters ask why this node has not bid for their job (DECLINES_PROTOCOL): answered from memory and the journal.
  await serveDeclines(node, (jobId) => driver.declinesStatement(jobId));
  if (config.fault) log.warn({ fault: config.fault }, "FAULT MODE: this node misbehaves on purpose and will be slashed (tests and demos only)");
  return driver;
}

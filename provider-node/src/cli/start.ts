import module from "node:module";
import { loadConfig, requireKey } from "../config/config.ts";
import { describeRelayLimits, type RelayReport } from "../net/relay-limits.ts";
import { startProvider } from "../provider.ts";
import type { Flags } from "./commands.ts";
import { FailureLine, failureLine } from "./failure.ts";

/** `accord-provider start`: runs until SIGINT/SIGTERM, then stops at a safe point. */
export async function startCommand(flags: Flags): Promise<void> {
  const loaded = loadConfig({ flags, requireRpc: true });
  let provider: Awaited<ReturnType<typeof startProvider>>;
  try {
    provider = await startProvider({ ...loaded.config, privateKey: requireKey(loaded) });
  } catch (err) {
    // Told here, where the metrics port is known: a busy port is named as the metrics or the libp2p one.
    throw new FailureLine(failureLine(err, { metricsPort: loaded.config.metricsPort }), err);
  }
  // Everything the daemon runs is loaded by now: write the compile cache (bin/accord-provider.js
  // enables it), since a daemon is often stopped by a signal or the forced exit below, which skip it.
  module.flushCompileCache?.();
  // Present only when the node relays for others: the limits it was given and the defaults for the rest.
  const relay = (provider.health().reachability as { relay?: RelayReport } | undefined)?.relay;
  if (flags.json)
    process.stdout.write(`${JSON.stringify({ address: provider.address, peerId: provider.peerId, multiaddrs: provider.multiaddrs, metricsUrl: provider.metricsUrl, market: provider.market, relayLimits: relay?.limits })}\n`);
  else
    process.stdout.write(
      `Provider ${provider.address} (key: ${loaded.keySource}) is serving market ${provider.market} at ${loaded.config.rpcUrl}\n` +
        `  addresses  ${provider.multiaddrs.join(" ")}\n` +
        (relay ? `  relaying   for nodes behind NAT: ${describeRelayLimits(relay.limits)}\n` : "") +
        `  metrics    ${provider.metricsUrl ? `${provider.metricsUrl}/metrics and /health` : "off"}\nCtrl-C stops it at a safe point.\n`,
    );
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  const force = setTimeout(() => process.exit(1), loaded.config.limits?.shutdownTimeoutMs ?? 10_000);
  force.unref();
  await provider.stop();
}

import { loadConfig } from "../config/config.ts";
import { createLogger } from "../log.ts";
import { describeRelayLimits } from "../net/relay-limits.ts";
import { startRelayNode } from "../net/relay-node.ts";
import type { Flags } from "./commands.ts";
import { FailureLine, failureLine } from "./failure.ts";

/** `accord-provider relay`: relays for nodes behind NAT, nothing else, until SIGINT/SIGTERM. */
export async function relayCommand(flags: Flags): Promise<void> {
  // No chain and no key: a relay-only node signs nothing and bids on nothing.
  const { config } = loadConfig({ flags });
  const log = createLogger({ level: config.logLevel, name: "accord-relay" });
  let relay: Awaited<ReturnType<typeof startRelayNode>>;
  try {
    relay = await startRelayNode(
      {
        dataDir: config.dataDir,
        listen: config.listen ?? [],
        announce: config.announce,
        bootstrap: config.bootstrap,
        privateAddresses: config.privateAddresses,
        relayLimits: config.relayLimits,
        metricsPort: config.metricsPort ?? -1,
      },
      log,
    );
  } catch (err) {
    throw new FailureLine(failureLine(err, { metricsPort: config.metricsPort }), err);
  }
  log.info({ peerId: relay.peerId, multiaddrs: relay.multiaddrs, limits: relay.limits, metrics: relay.metricsUrl }, "relay started");
  if (flags.json) process.stdout.write(`${JSON.stringify({ peerId: relay.peerId, multiaddrs: relay.multiaddrs, limits: relay.limits, metricsUrl: relay.metricsUrl })}\n`);
  else
    process.stdout.write(
      `Relay ${relay.peerId} is relaying for nodes behind NAT\n` +
        `  addresses  ${relay.multiaddrs.join(" ")}\n` +
        `             (nodes behind NAT start with --bootstrap <the public one>)\n` +
        `  limits     ${describeRelayLimits(relay.limits)}\n` +
        `  metrics    ${relay.metricsUrl ? `${relay.metricsUrl}/metrics and /health` : "off"}\nCtrl-C stops it.\n`,
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
  const force = setTimeout(() => process.exit(1), config.limits?.shutdownTimeoutMs ?? 10_000);
  force.unref();
  await relay.stop();
}

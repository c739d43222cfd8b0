import module from "node:module";
import { loadConfig, requireKey } from "../config/config.ts";
import { startProvider } from "../provider.ts";
import type { Flags } from "./commands.ts";

/** `accord-provider start`: runs until SIGINT/SIGTERM, then stops at a safe point. */
export async function startCommand(flags: Flags): Promise<void> {
  const loaded = loadConfig({ flags, requireRpc: true });
  const provider = await startProvider({ ...loaded.config, privateKey: requireKey(loaded) });
  // Everything the daemon runs is loaded by now: write the compile cache (bin/accord-provider.js
  // enables it), since a daemon is often stopped by a signal or the forced exit below, which skip it.
  module.flushCompileCache?.();
  if (flags.json) process.stdout.write(`${JSON.stringify({ address: provider.address, peerId: provider.peerId, multiaddrs: provider.multiaddrs, metricsUrl: provider.metricsUrl, market: provider.market })}\n`);
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

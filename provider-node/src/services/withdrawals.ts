import { withdrawable, withdrawAll } from "../chain/account.ts";
import type { ProviderComponents } from "./components.ts";
import { everyService, type ProviderService } from "./service.ts";

/** Withdraws earnings every limits.withdrawIntervalMs once they reach limits.minWithdrawAmount; undefined when the interval is 0 (off). */
export function scheduledWithdrawals(c: Pick<ProviderComponents, "limits" | "log" | "metrics" | "signal" | "chain">): ProviderService | undefined {
  const { limits, log, signal } = c;
  if (limits.withdrawIntervalMs <= 0) return undefined;
  return everyService("scheduled withdrawals", limits.withdrawIntervalMs, async () => {
    try {
      if ((await withdrawable(c.chain)) < limits.minWithdrawAmount) return;
      const { earnings } = await withdrawAll(c.chain, signal);
      c.metrics.withdrawn.inc(Number(earnings));
      log.info({ earnings: earnings.toString() }, "withdrew earnings");
    } catch (err) {
      if (!signal.aborted) log.warn({ err: (err as Error).message.split("\n")[0] }, "scheduled withdrawal failed; will try again");
    }
  });
}

// Per-file chain with snapshot isolation: deploy once, restore before each test.
import { beforeAll, beforeEach } from "vitest";
import { deployMarket, type Deployed } from "./market.ts";

export function useMarket(opts: Parameters<typeof deployMarket>[0] & { providers?: number } = {}) {
  const ctx = {} as { m: Deployed };
  let restore: () => Promise<void>;
  beforeAll(async () => {
    ctx.m = await deployMarket(opts);
    for (let i = 0; i < (opts.providers ?? 5); i++) await ctx.m.registerAndStake(i);
    const snapshot = await ctx.m.networkHelpers.takeSnapshot();
    restore = () => snapshot.restore();
  });
  beforeEach(async () => {
    await restore();
  });
  return ctx;
}

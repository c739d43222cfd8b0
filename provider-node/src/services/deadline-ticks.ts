import type { ProviderComponents } from "./components.ts";
import { everyService } from "./service.ts";

/** Deadlines pass on the chain's clock even when no block arrives (an idle devnet): the driver is ticked anyway. */
export const deadlineTicks = (c: Pick<ProviderComponents, "limits" | "driver">) => everyService("deadline ticks", c.limits.pollIntervalMs, async () => c.driver.tick());

import { parseCid } from "@accord/client/content";
import type { ProviderComponents } from "./components.ts";
import { everyService } from "./service.ts";

/**
 * Every limits.retentionSweepIntervalMs, unpins the sealed results whose retention has passed
 * (the requester had its time to fetch them) and collects their blocks.
 */
export function retentionSweep(c: Pick<ProviderComponents, "limits" | "log" | "signal" | "journal" | "node">) {
  const { journal, node } = c;
  return everyService("retention sweep", c.limits.retentionSweepIntervalMs, async () => {
    const due = journal.expiredRetention(Date.now());
    for (const rec of due) {
      if (rec.sealedCid) await node.content.unpin(parseCid(rec.sealedCid)).catch(() => {});
      journal.update(rec.jobId, { retainUntilMs: undefined });
    }
    if (due.length) {
      await node.content.gc({ signal: c.signal }).catch(() => {});
      c.log.info({ unpinned: due.length }, "released sealed results past their retention");
    }
  });
}

import { claim as claimJob } from "../../../actions/chain/claim.ts";
import type { CommandContext } from "../context.ts";
import { parseId } from "./args.ts";

/** `accord job claim <jobId>` */
export default async function claim(ctx: CommandContext, id: string): Promise<void> {
  const client = await ctx.client();
  const r = await claimJob(client, { jobId: parseId(id), signal: ctx.signal });
  ctx.out.result({ jobId: id, ...r }, `✓ claimed job ${id}${r.settledState ? `: ${r.settledState}` : ""} (tx ${r.transactionHash})`);
}

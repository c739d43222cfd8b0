import { cancelJob } from "../../../actions/chain/cancelJob.ts";
import { getTokenInfo } from "../../../actions/internal/token.ts";
import { fmtTokens } from "../../output.ts";
import type { CommandContext } from "../context.ts";
import { parseId } from "./args.ts";

/** `accord job cancel <jobId>` */
export default async function cancel(ctx: CommandContext, id: string): Promise<void> {
  const client = await ctx.client();
  const token = await getTokenInfo(client);
  const r = await cancelJob(client, { jobId: parseId(id), signal: ctx.signal });
  ctx.out.result({ jobId: id, ...r }, `✓ cancelled job ${id}; ${fmtTokens(r.refunded, token.decimals, token.symbol)} credited (tx ${r.transactionHash}); \`accord withdraw\` sends it`);
}

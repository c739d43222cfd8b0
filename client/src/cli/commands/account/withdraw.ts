import { getTokenInfo } from "../../../actions/internal/token.ts";
import { withdraw as withdrawAll } from "../../../actions/chain/withdraw.ts";
import { fmtTokens } from "../../output.ts";
import type { CommandContext } from "../context.ts";

/** `accord withdraw` */
export default async function withdraw(ctx: CommandContext): Promise<void> {
  const client = await ctx.client();
  const token = await getTokenInfo(client);
  const r = await withdrawAll(client, { signal: ctx.signal });
  ctx.out.result(r, `✓ withdrew ${fmtTokens(r.amount, token.decimals, token.symbol)} (tx ${r.transactionHash})`);
}

import { getBalance } from "../../../actions/getBalance.ts";
import { fmtTokens } from "../../output.ts";
import type { CommandContext } from "../context.ts";

/** `accord balance` */
export default async function balance(ctx: CommandContext): Promise<void> {
  const client = await ctx.client();
  const b = await getBalance(client);
  const amt = (u: bigint) => fmtTokens(u, b.token.decimals, b.token.symbol);
  ctx.out.result(b, [`account       ${b.address}`, `wallet        ${amt(b.wallet)}`, `withdrawable  ${amt(b.withdrawable)}`, `allowance     ${amt(b.allowance)}`].join("\n"));
}

import { getTokenInfo } from "../../../actions/internal/token.ts";
import { listProviders } from "../../../actions/listProviders.ts";
import { fmtTokens } from "../../output.ts";
import type { CommandContext } from "../context.ts";

/** `accord providers` */
export default async function providers(ctx: CommandContext, o: { all?: boolean }): Promise<void> {
  const client = await ctx.client();
  const token = await getTokenInfo(client);
  const list = await listProviders(client, { includeInactive: o.all, signal: ctx.signal });
  const amt = (u: bigint) => fmtTokens(u, token.decimals, token.symbol);
  const rows = list.map(
    (p) => `${p.address}  ${`${(p.score / 100).toFixed(1)}%`.padStart(6)}  ${`${p.agreed}/${p.awarded}`.padStart(7)}  ${amt(p.askPrice).padEnd(14)} ${amt(p.free).padEnd(16)} ${p.active ? "" : "(inactive)"}`,
  );
  ctx.out.result(
    list,
    list.length ? [`${"PROVIDER".padEnd(42)}  ${"REPUTE".padStart(6)}  ${"AGREED".padStart(7)}  ${"ASK/1e9 FUEL".padEnd(14)} ${"FREE STAKE".padEnd(16)}`, ...rows].join("\n") : "no providers registered",
  );
}

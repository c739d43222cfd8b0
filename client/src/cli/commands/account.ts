import { getBalance } from "../../actions/getBalance.ts";
import { getTokenInfo } from "../../actions/internal/token.ts";
import { listProviders } from "../../actions/listProviders.ts";
import { withdraw } from "../../actions/withdraw.ts";
import { fmtTokens } from "../output.ts";
import type { Register } from "./job.ts";

export const registerAccount: Register = (program, run) => {
  program
    .command("providers")
    .description("registered providers with reputation, ask price and free stake, best first")
    .option("--all", "include providers without enough stake to bid")
    .action(
      run(async (ctx, o: { all?: boolean }) => {
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
      }),
    );

  program
    .command("balance")
    .description("your token balance, what the market holds for you, and your allowance")
    .action(
      run(async (ctx) => {
        const client = await ctx.client();
        const b = await getBalance(client);
        const amt = (u: bigint) => fmtTokens(u, b.token.decimals, b.token.symbol);
        ctx.out.result(b, [`account       ${b.address}`, `wallet        ${amt(b.wallet)}`, `withdrawable  ${amt(b.withdrawable)}`, `allowance     ${amt(b.allowance)}`].join("\n"));
      }),
    );

  program
    .command("withdraw")
    .description("send yourself everything the market credited to you (refunds, slashed collateral)")
    .action(
      run(async (ctx) => {
        const client = await ctx.client();
        const token = await getTokenInfo(client);
        const r = await withdraw(client, { signal: ctx.signal });
        ctx.out.result(r, `✓ withdrew ${fmtTokens(r.amount, token.decimals, token.symbol)} (tx ${r.transactionHash})`);
      }),
    );
};
